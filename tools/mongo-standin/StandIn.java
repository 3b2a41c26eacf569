// Starts mongo-java-server on 127.0.0.1 for src/db/local-server.ts.
//   java -cp 'lib/*' StandIn.java <port|0> [h2-file]
// With a file the data is kept in H2 (MVStore) there; without one it lives in memory.
// Prints "LISTENING <port>" once bound, and stops when its standard input closes, so the
// server never outlives the Node process that started it.
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.net.InetSocketAddress;
import org.h2.mvstore.MVStore;

public class StandIn {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        MongoServer server;
        MVStore store = null;
        if (args.length > 1) {
            store = MVStore.open(args[1]);
            server = new MongoServer(new H2Backend(store));
        } else {
            server = new MongoServer(new MemoryBackend());
        }
        server.bind("127.0.0.1", port);
        InetSocketAddress address = server.getLocalAddress();
        System.out.println("LISTENING " + address.getPort());
        System.out.flush();
        final MVStore finalStore = store;
        Runnable stop = () -> {
            server.shutdown();
            if (finalStore != null && !finalStore.isClosed()) finalStore.close();
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop));
        // Block until the parent closes our stdin (or dies), then shut down cleanly.
        while (System.in.read() != -1) { }
        System.exit(0);
    }
}
