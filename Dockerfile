# Herald's container: the same jar and JVM options as scripts/run.sh.
#   docker build -t herald . && docker run -p 8080:8080 -e HERALD_JWT_SECRET=... herald
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -q -B -DskipTests -Dautobahn.skip=true -pl server -am package

FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 --no-create-home herald
COPY --from=build /src/server/target/herald.jar /opt/herald/herald.jar
USER 10001
EXPOSE 8080
ENV HERALD_BIND=0.0.0.0 HERALD_PORT=8080
# scripts/run.sh: java ${HERALD_JAVA_OPTS:--Xmx2g} -jar herald.jar (SIGTERM reaches java: exec)
ENTRYPOINT ["sh", "-c", "exec java ${HERALD_JAVA_OPTS:--Xmx2g} -jar /opt/herald/herald.jar \"$@\"", "herald"]
