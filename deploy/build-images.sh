#!/usr/bin/env bash
# Builds the service images pigeonhole/{router-streams,gateway,delivery}:$TAG from the packaged apps,
# and with --kafka also pigeonhole/kafka-dev:$TAG (a single-node broker for tests).
#   BASE_IMAGE  JRE 17 image to build on (default eclipse-temurin:17-jre-jammy; without a registry:
#               deploy/build-local-base.sh makes pigeonhole/jre17-base:local)
#   TAG         image tag (default: the project version)
set -euo pipefail
cd "$(dirname "$0")/.."
BASE_IMAGE=${BASE_IMAGE:-eclipse-temurin:17-jre-jammy}
TAG=${TAG:-0.1.0-SNAPSHOT}
if [ ! -f gateway/target/quarkus-app/quarkus-run.jar ] || [ ! -f standalone/target/quarkus-app/quarkus-run.jar ]; then
  ./mvnw -q -B -Dmaven.test.skip=true package
fi
for svc in router-streams gateway delivery; do
  docker build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -f "$svc/src/main/docker/Dockerfile" -t "pigeonhole/$svc:$TAG" "$svc"
done
if [ "${1:-}" = "--kafka" ]; then
  docker build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -f standalone/src/main/docker/Dockerfile.kafka \
    -t "pigeonhole/kafka-dev:$TAG" standalone
fi
docker images "pigeonhole/*"
