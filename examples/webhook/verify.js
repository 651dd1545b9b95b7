// Checks a sinopay webhook: verify(raw body, Sinopay-Signature header, whsec_… secret).
const crypto = require('crypto');
function verify(body, header, secret, tolerance = 300) {
  const p = Object.fromEntries(header.split(',').map((kv) => kv.split('=')));
  if (!p.t || !p.v1 || Math.abs(Date.now() / 1000 - Number(p.t)) > tolerance) return false;
  const want = crypto.createHmac('sha256', secret).update(p.t + '.' + body).digest('hex');
  return p.v1.length === want.length && crypto.timingSafeEqual(Buffer.from(p.v1), Buffer.from(want));
}
module.exports = verify;
// node verify.js SECRET < body, header in SINOPAY_SIGNATURE: prints ok or forged.
if (require.main === module) console.log(verify(require('fs').readFileSync(0, 'utf8'), process.env.SINOPAY_SIGNATURE || '', process.argv[2]) ? 'ok' : 'forged');
