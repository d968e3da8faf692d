#!/usr/bin/env bash
# Issue 12's findings 2, 4, 5 and 8 (and a revocation deleted in the file)
# reproduced through the CLI of any build, to compare 0.1 with this one:
#   XYD=/tmp/old/build/xyd bash tests/repro/issue12-cli.sh
# It prints what each build does; it is not part of the test suite (the
# tests named after each finding are).
set -u
X=${XYD:?}
W=$(mktemp -d); cd "$W"
ing() { $X ingest "$@" --create >/dev/null 2>&1 || $X ingest "$@" >/dev/null 2>&1; }
$X keygen --out k >/dev/null
$X gen --subjects 5 --seed 3 --out feed.jsonl >/dev/null
ing s.db feed.jsonl --key-file k
S=$($X subjects s.db --key-file k | python3 -c 'import json,sys; print(json.load(sys.stdin)[0])')
$X consent keygen --out p >/dev/null
$X consent trust s.db --public "$(cat p.public)" --key-file k >/dev/null 2>&1 || $X consent trust s.db --public-file p.public --key-file k >/dev/null
printf '{"iss":"p","sub":"%s","aud":"bank-001","exp":"2099-01-01T00:00:00Z","scope":["tax"],"purpose":"pre_loan","jti":"j-1"}' "$S" > c.json
T=$($X consent issue --secret p.secret --claims c.json)
check() { $X consent check s.db --token "$T" --subject "$S" --audience bank-001 --purpose pre_loan --key-file "$1" >/dev/null 2>&1 && echo granted || echo refused; }
echo "consent before revoke: $(check k)"
$X consent revoke s.db --jti j-1 --key-file k >/dev/null
echo "F2 after revoke: $(check k)"
$X keygen --out k2 >/dev/null
$X rekey s.db --new-key-file k2 --key-file k >/dev/null 2>&1
echo "F2 after rekey: $(check k2)   (refused = fixed; granted = finding 2)"
# review: a revocation deleted in the file
cp s.db s2.db; sqlite3 s2.db "DELETE FROM revocations"
r=$($X consent check s2.db --token "$T" --subject "$S" --audience bank-001 --purpose pre_loan --key-file k2 2>&1; echo "rc=$?")
echo "revocation row deleted: $(echo "$r" | tail -1) $(echo "$r" | grep -o 'revocations[^"]*' | head -1)"
# F5: a withdrawn record set back to active
ID=$($X records s.db "$S" --key-file k2 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
$X repair s.db --id "$ID" --withdraw --reason x --operator o --key-file k2 >/dev/null 2>&1
sqlite3 s.db "UPDATE records SET state='active', repair=NULL, repair_nonce=NULL WHERE id=$ID"
n=$($X records s.db "$S" --key-file k2 2>/dev/null | python3 -c "import json,sys; print(sum(1 for r in json.load(sys.stdin) if r['id']==$ID))" 2>/dev/null || echo error)
echo "F5 withdrawn record set back to active shown: $n   (1 = finding 5; error/0 = fixed)"
# F8: an all-zero key
printf '%064d\n' 0 > zk
if ing z.db feed.jsonl --key-file zk && [ -f z.db ]; then echo "F8 all-zero key: store created (finding 8)"; else echo "F8 all-zero key: refused"; fi
# F4: the log cut short after the last checkpoint passes verify --public
$X audit checkpoint s.db --secret p.secret --key-file k2 >/dev/null 2>&1
L=$(sqlite3 s.db "SELECT max(seq) FROM audit_checkpoints")
$X subjects s.db --key-file k2 >/dev/null
sqlite3 s.db "DELETE FROM audit WHERE seq > $L"
$X audit verify s.db --public "$(cat p.public)" --key-file k2 >/dev/null 2>&1 || $X audit verify s.db --public-file p.public --key-file k2 >/dev/null 2>&1
echo "F4 tail cut, verify --public exit: $?   (0: not detected without an anchor)"
rm -rf "$W"
