// A Java agent that does nothing. LocalStack starts DynamoDB Local with
// -javaagent:<its dir>/ddb-local-loader-0.1.jar, an agent downloaded from LocalStack's own
// artifacts repository (it lifts DynamoDB Local's limit of 20 global secondary indexes), which no
// registry these machines reach supplies. conform puts this agent in its place, so LocalStack
// runs DynamoDB Local unpatched.
//
// Rebuild (any JDK 17+):
//   javac --release 17 -d out NoOpAgent.java
//   printf 'Premain-Class: NoOpAgent\n' > manifest.txt
//   jar --create --file ../no-op-agent.jar --manifest manifest.txt -C out NoOpAgent.class
public final class NoOpAgent {
    private NoOpAgent() {}

    public static void premain(String args) {}
}
