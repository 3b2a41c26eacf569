// Starts mongo-java-server on 127.0.0.1 for src/db/local-server.ts.
//   java -cp 'lib/*' StandIn.java <port|0> [h2-file] [--no-fsync]
// With a file the data is kept in H2 (MVStore) there; without one it lives in memory.
// Prints "LISTENING <port>" once bound, and stops when its standard input closes, so the
// server never outlives the Node process that started it.
//
// Durability: H2 on its own keeps writes in memory for up to a second after the server has
// acknowledged them, so a kill -9 loses acknowledged writes. Here every command that changed
// the store is committed (and, unless --no-fsync, synced to disk) before its answer goes back.
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import org.h2.mvstore.MVStore;

public class StandIn {
    /** H2 backend that commits (and syncs) before a write is acknowledged. */
    static final class DurableH2Backend extends H2Backend {
        private final MVStore store;
        private final boolean fsync;

        DurableH2Backend(MVStore store, boolean fsync) {
            super(store);
            this.store = store;
            this.fsync = fsync;
        }

        private void persist() {
            // One commit covers every write made so far; concurrent commands share it.
            synchronized (store) {
                if (!store.hasUnsavedChanges()) return;
                store.commit();
                if (fsync) store.sync();
            }
        }

        @Override
        public Document handleMessage(MongoMessage message) {
            Document answer = super.handleMessage(message);
            persist();
            return answer;
        }

        @Override
        public Document handleCommand(Channel channel, String database, String command, Document query) {
            Document answer = super.handleCommand(channel, database, command, query);
            persist();
            return answer;
        }
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String file = args.length > 1 && !args[1].startsWith("--") ? args[1] : null;
        boolean fsync = true;
        for (String a : args) if (a.equals("--no-fsync")) fsync = false;
        MongoServer server;
        MVStore store = null;
        if (file != null) {
            try {
                store = new MVStore.Builder().fileName(file).autoCommitDisabled().open();
            } catch (RuntimeException e) {
                String text = String.valueOf(e.getMessage());
                if (text.contains("locked")) {
                    // Another process (a second `npm start`) holds the file: say so in one line.
                    System.out.println("IN_USE " + file);
                    System.out.flush();
                    System.exit(3);
                }
                throw e;
            }
            server = new MongoServer(new DurableH2Backend(store, fsync));
        } else {
            server = new MongoServer(new MemoryBackend());
        }
        try {
            server.bind("127.0.0.1", port);
        } catch (RuntimeException e) {
            System.out.println("PORT_IN_USE " + port);
            System.out.flush();
            System.exit(4);
        }
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
