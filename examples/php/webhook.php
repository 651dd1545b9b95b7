<?php
// The merchant's webhook endpoint: checks the signature against the raw
// body with the key's whsec_ secret, then records the event. A forged,
// changed or replayed (old) request is refused with 400 and recorded nowhere.
require __DIR__ . '/sinopay.php';
$body = file_get_contents('php://input');
if (!sinopay_verify($body, $_SERVER['HTTP_SINOPAY_SIGNATURE'] ?? '', getenv('SINOPAY_WHSEC'))) {
    http_response_code(400);
    echo "forged\n";
    return;
}
$event = json_decode($body, true);
// At least once: the same event may come again; its id tells.
file_put_contents(getenv('SINOPAY_EVENTS_LOG'), $event['id'] . ' ' . $event['type'] . ' ' . $event['data']['payment']['id'] . ' ' .
    $event['data']['payment']['status'] . "\n", FILE_APPEND | LOCK_EX);
echo "ok\n";
