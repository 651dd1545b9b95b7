<?php
// php create.php atm|card AMOUNT DESCRIPTION REFERENCE [RETURN_URL]: makes a payment and prints it.
// The reference doubles as the Idempotency-Key: running it twice makes one payment.
require __DIR__ . '/sinopay.php';
[, $method, $amount, $description, $reference] = $argv;
$body = ['amount' => (int)$amount, 'method' => $method, 'description' => $description, 'reference' => $reference];
if (isset($argv[5])) $body['return_url'] = $argv[5];
[$status, $payment] = sinopay_request('POST', '/payments', $body, 'order-' . $reference);
if ($status !== 201) { fwrite(STDERR, "sinopay said $status: " . json_encode($payment) . "\n"); exit(1); }
echo json_encode($payment, JSON_UNESCAPED_UNICODE), "\n";
