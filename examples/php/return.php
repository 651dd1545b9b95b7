<?php
// Where the buyer comes back after the card page. The query's status came
// through a browser: the merchant asks sinopay instead.
require __DIR__ . '/sinopay.php';
[$status, $payment] = sinopay_request('GET', '/payments/' . rawurlencode($_GET['payment_id'] ?? ''));
if ($status !== 200) { http_response_code(404); echo "no such payment\n"; return; }
echo $payment['status'] === 'succeeded' ? "Thank you: order {$payment['reference']} is paid.\n" : "Order {$payment['reference']}: {$payment['status']}.\n";
