<?php
// php refund.php PAYMENT_ID AMOUNT REASON: refunds part of a card payment and prints the payment.
require __DIR__ . '/sinopay.php';
[, $id, $amount, $reason] = $argv;
[$status, $payment] = sinopay_request('POST', '/payments/' . rawurlencode($id) . '/refunds',
    ['amount' => (int)$amount, 'reason' => $reason], 'refund-' . $id . '-' . $amount);
if ($status !== 200) { fwrite(STDERR, "sinopay said $status: " . json_encode($payment) . "\n"); exit(1); }
echo json_encode($payment, JSON_UNESCAPED_UNICODE), "\n";
