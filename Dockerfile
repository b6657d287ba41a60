# The grader service image: `grader serve` as a non-root user, the bank mounted read-only.
#
# Built offline by scripts/build_service_image.sh, which first stages into build/service/:
#   site/    grader and its dependencies (pip install --target, from the host's wheels)
#   docker   the Docker CLI, which the service uses to start sandbox containers
# and builds on the local Debian base made by sandbox_images/build.sh. With a registry, any
# python:3.11 Debian image works as BASE_IMAGE.
ARG BASE_IMAGE=grader-base-python:latest
FROM ${BASE_IMAGE}
COPY build/service/site /opt/grader/site
COPY build/service/docker /usr/local/bin/docker
RUN groupadd -g 10001 grader && useradd -u 10001 -g 10001 -M -d /nonexistent -s /usr/sbin/nologin grader \
    && python3 -m compileall -q /opt/grader/site >/dev/null || true
ENV PYTHONPATH=/opt/grader/site \
    PYTHONUNBUFFERED=1 \
    GRADER_BANK=/bank/bank.db \
    GRADER_PORT=50051
# The engine's socket is reached by group: run with --group-add <gid of docker.sock>.
USER 10001:10001
# gRPC, and Prometheus metrics at /metrics (--metrics-port).
EXPOSE 50051 9464
ENTRYPOINT ["python3", "-m", "grader.cli"]
CMD ["serve"]
