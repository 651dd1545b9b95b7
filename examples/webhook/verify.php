<?php
// Checks a sinopay webhook: verify(raw body, Sinopay-Signature header, whsec_… secret).
function sinopay_verify(string $body, string $header, string $secret, int $tolerance = 300): bool {
    parse_str(str_replace(',', '&', $header), $p);
    if (!isset($p['t'], $p['v1']) || abs(time() - (int)$p['t']) > $tolerance) return false;
    return hash_equals(hash_hmac('sha256', $p['t'] . '.' . $body, $secret), $p['v1']);
}
// php verify.php SECRET < body, header in SINOPAY_SIGNATURE: prints ok or forged.
if (PHP_SAPI === 'cli' && realpath($argv[0]) === __FILE__) {
    echo sinopay_verify(stream_get_contents(STDIN), getenv('SINOPAY_SIGNATURE') ?: '', $argv[1]) ? "ok\n" : "forged\n";
}
