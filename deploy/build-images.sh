#!/usr/bin/env bash
# Builds the service images pigeonhole/{router-streams,gateway,delivery}:$TAG from the packaged apps,
# with --kafka also pigeonhole/kafka-dev:$TAG (a KRaft node for tests) and with --standalone also
# pigeonhole/standalone:$TAG (embedded Kafka + all services in one container: the testkit's PigeonholeContainer).
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
for flag in "$@"; do
  case "$flag" in
    --kafka)
      docker build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -f standalone/src/main/docker/Dockerfile.kafka \
        -t "pigeonhole/kafka-dev:$TAG" standalone ;;
    --standalone)
      docker build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -f standalone/src/main/docker/Dockerfile \
        -t "pigeonhole/standalone:$TAG" standalone ;;
    *) echo "unknown option $flag (--kafka, --standalone)" >&2; exit 2 ;;
  esac
done
docker images "pigeonhole/*"
