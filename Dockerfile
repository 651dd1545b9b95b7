# The sinopay image: one static binary in an empty image. It is built
# from a binary made on the host, so building the image pulls nothing
# from a registry (FROM scratch is no image at all):
#
#   scripts/release v1.2.0                      # or, for a trial:
#   CGO_ENABLED=0 go build -trimpath -o dist/sinopay-linux-amd64 ./cmd/sinopay
#   podman build --build-arg BINARY=dist/v1.2.0/sinopay-v1.2.0-linux-amd64 -t sinopay:v1.2.0 .
#   podman run -d -p 8080:8080 -v sinopay-data:/data sinopay:v1.2.0
#
# (docker build takes the same arguments.) The binary must be a static
# linux one (CGO_ENABLED=0) for the platform of the image.
#
# Settings come from the environment (-e, --env-file); see .env.example.
# The image has no CA certificates: to reach the real bank over https,
# mount the host's, e.g. -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro
FROM scratch

ARG BINARY=dist/sinopay-linux-amd64
COPY --chmod=0755 ${BINARY} /sinopay
# /data, the SQLite database's folder, belongs to the service's user.
COPY --chown=65532:65532 deploy/data/ /data/

# A user that is not root, and has no name: scratch has no /etc/passwd.
USER 65532:65532
WORKDIR /data
ENV SINOPAY_ADDR=0.0.0.0:8080 \
    SINOPAY_DATABASE_URL=/data/sinopay.db
EXPOSE 8080
VOLUME ["/data"]

# Ready means a payment can be recorded and the bank answers (/readyz);
# scratch has no curl, so the binary asks itself.
HEALTHCHECK --interval=10s --timeout=6s --start-period=20s --retries=3 \
    CMD ["/sinopay", "health", "--timeout", "5s"]

ENTRYPOINT ["/sinopay"]
CMD ["serve"]
