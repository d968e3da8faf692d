"""Issue 12's findings 1, 3, 6, 7 and 9 through the Python package of any
build, to compare 0.1 with this one (prints; not part of the test suite):
  XYD_CLI=/tmp/old/build/xyd PYTHONPATH=/tmp/old/bindings/python \\
  XYD_LIBRARY=/tmp/old/build/libxyd.so python3 tests/repro/issue12-python.py"""
import json, os, sqlite3, subprocess, sys, tempfile
import xyd
from xyd.store import Store, generate_key

d = tempfile.mkdtemp()
feed = subprocess.run([os.environ["XYD_CLI"], "gen", "--subjects", "40", "--seed", "7"], capture_output=True, check=True).stdout.decode()
lines = feed.splitlines()
key = generate_key()
path = os.path.join(d, "s.db")
s = Store(path, key)
s.ingest(lines[0] + "\n")
pid = os.fork()
part = lines[1:2001] if pid == 0 else lines[2001:4001]
s.ingest("\n".join(part) + "\n")
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
db = sqlite3.connect(path)
n, distinct = db.execute("SELECT count(*), count(DISTINCT nonce) FROM records").fetchone()
print(f"F1 fork: {n} records, {n - distinct} nonces used twice")
db.close()
# F3: a handle opened before a rekey keeps writing
path2 = os.path.join(d, "t.db")
a = Store(path2, key)
a.ingest("\n".join(lines[:50]) + "\n")
b = Store(path2, key)
a.rekey(generate_key())
try:
    b.ingest("\n".join(lines[50:100]) + "\n")
    print("F3 stale handle: ingest accepted (finding 3)")
except Exception as e:  # noqa
    print("F3 stale handle: refused:", type(e).__name__)
# F9: report JSON lacking members
for bad in ['{"header":{},"sections":[{}]}', '{"header":{},"sections":[{"items":[{}]}]}', '{"header":{"score":{}},"sections":[]}', '{"header":{},"sections":[{"category":1,"items":[{"records":[{}]}]}]}']:
    code = subprocess.run([sys.executable, "-c", f"import xyd; print(len(xyd.report_html({bad!r})))"], capture_output=True)
    print(f"F9 report_html({bad}): exit {code.returncode}", (code.stderr.decode().strip().splitlines() or [''])[-1][:90] if code.returncode else "")
# F6: a kept score moved to another subject
path3 = os.path.join(d, "u.db")
c = Store(path3, key)
c.ingest("\n".join(lines[:400]) + "\n")
subs = c.subjects()
c.score(subs[0])
c.close() if hasattr(c, "close") else None
del c
db = sqlite3.connect(path3)
sid = {}
n_scores = db.execute("SELECT count(*) FROM scores").fetchone()[0]
target = db.execute("SELECT max(subject_id) FROM subjects").fetchone()[0]
db.execute("UPDATE scores SET subject_id = ?", (target,))
db.commit(); db.close()
c = Store(path3, key)
try:
    moved = sum(len(c.scores(x)) for x in subs[1:])
    print(f"F6 score moved to another subject: {moved} score(s) read back as another subject's (finding 6 when > 0)")
except Exception as e:
    print("F6 score moved: refused:", type(e).__name__)
# F7: the same records withdrawn by four handles at once
import threading
ids = [r["id"] for x in subs for r in c.records(x)][:200]
handles = [Store(path3, key) for _ in range(4)]
ok = []
def work(h):
    for rid in ids:
        try:
            h.repair(rid, "x", "2024-07-01", "op", "withdraw")
            ok.append(rid)
        except Exception:
            pass
ts = [threading.Thread(target=work, args=(h,)) for h in handles]
[t.start() for t in ts]; [t.join() for t in ts]
print(f"F7 {len(ids)} records withdrawn by 4 handles at once: {len(ok)} successes reported "
      f"({len(ok) - len(set(ok))} for a change that did not happen: finding 7 when > 0)")
