# The runner's image: the distribution (cicd-runner/target/cicd-VERSION.tar.gz, made by `mvn package`) on a
# Java 17 runtime. Build it from the repository's root after the build:
#
#   mvn -B -DskipTests package
#   docker build --build-arg VERSION=0.1.0-SNAPSHOT -t registry.example.com/cicd/cicd-runner:0.1.0 .
#
# It runs as user 10001 (not root) and works on a read-only root file system: the JVM and the launcher write
# only below /tmp (give it a writable volume there; the class-data archive goes to CICD_CDS_DIR), the runner
# only to its runner.logDir and runner.workDir (a volume; see deploy/50-deployment.yaml). The config is read
# from /etc/cicd/cicd.yaml (deploy/40-configmap.yaml mounts it there).
FROM eclipse-temurin:17-jre

ARG VERSION=0.1.0-SNAPSHOT
# a local tar.gz is unpacked by ADD: /opt/cicd-VERSION/{bin,lib,config,deploy,examples}, owned by root, read-only
# for the runner's user
ADD cicd-runner/target/cicd-${VERSION}.tar.gz /opt/
RUN ln -s "/opt/cicd-${VERSION}" /opt/cicd

ENV CICD_CDS_DIR=/tmp/cicd-cds
USER 10001:10001
WORKDIR /tmp
EXPOSE 9464
ENTRYPOINT ["/opt/cicd/bin/cicd"]
CMD ["run", "-c", "/etc/cicd/cicd.yaml"]
