"""Checks a sinopay webhook: verify(raw body, Sinopay-Signature header, whsec_… secret)."""
import hashlib, hmac, os, sys, time

def verify(body: bytes, header: str, secret: str, tolerance: int = 300) -> bool:
    p = dict(kv.split("=", 1) for kv in header.split(",") if "=" in kv)
    if "t" not in p or "v1" not in p or not p["t"].isdigit() or abs(time.time() - int(p["t"])) > tolerance:
        return False
    want = hmac.new(secret.encode(), p["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, p["v1"])

if __name__ == "__main__":  # python3 verify.py SECRET < body, header in SINOPAY_SIGNATURE: prints ok or forged.
    print("ok" if verify(sys.stdin.buffer.read(), os.environ.get("SINOPAY_SIGNATURE", ""), sys.argv[1]) else "forged")
