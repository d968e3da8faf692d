// Interop peer for xyd's PASETO: the npm package `paseto` (v3, panva).
// Reads one JSON request on stdin, writes one JSON answer on stdout.
//   {"op":"verify","public":"<base64url 32 bytes>","token":…,"assertion":…}
//   {"op":"sign","secret":"<base64url 64 bytes>","payload":{…},"footer":…,"assertion":…}
// SPDX-License-Identifier: Apache-2.0
const { V4 } = require('paseto')

let input = ''
process.stdin.on('data', (d) => { input += d })
process.stdin.on('end', async () => {
  const req = JSON.parse(input)
  try {
    if (req.op === 'verify') {
      const key = V4.bytesToKeyObject(Buffer.from(req.public, 'base64url'))
      const { payload, footer } = await V4.verify(req.token, key, { assertion: req.assertion, complete: true })
      process.stdout.write(JSON.stringify({ ok: true, payload, footer: footer ? footer.toString() : '' }))
    } else if (req.op === 'sign') {
      const key = V4.bytesToKeyObject(Buffer.from(req.secret, 'base64url'))
      const token = await V4.sign(req.payload, key, { footer: req.footer, assertion: req.assertion })
      process.stdout.write(JSON.stringify({ ok: true, token }))
    } else {
      throw new Error('unknown op')
    }
  } catch (e) {
    process.stdout.write(JSON.stringify({ ok: false, error: String(e.code || e.message) }))
  }
})
