<?php
// A merchant's few lines for sinopay's payments API: one request with
// cURL, the key from the environment. Every answer is decoded JSON and
// its HTTP status; errors are {"error": {type, code, message, param}}.
require_once __DIR__ . '/../webhook/verify.php';

function sinopay_request(string $method, string $path, ?array $body = null, ?string $idempotencyKey = null): array {
    $ch = curl_init(rtrim(getenv('SINOPAY_URL'), '/') . '/api/v1' . $path);
    $headers = ['Authorization: Bearer ' . getenv('SINOPAY_KEY'), 'Content-Type: application/json'];
    if ($idempotencyKey !== null) $headers[] = 'Idempotency-Key: ' . $idempotencyKey;
    curl_setopt_array($ch, [
        CURLOPT_CUSTOMREQUEST => $method,
        CURLOPT_HTTPHEADER => $headers,
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_TIMEOUT => 40,
    ]);
    if ($body !== null) curl_setopt($ch, CURLOPT_POSTFIELDS, json_encode($body, JSON_UNESCAPED_UNICODE));
    $raw = curl_exec($ch);
    if ($raw === false) throw new RuntimeException('sinopay: ' . curl_error($ch));
    $status = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
    curl_close($ch);
    return [$status, json_decode($raw, true)];
}
