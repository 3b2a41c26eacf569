// Starts mongo-java-server on 127.0.0.1 for src/db/local-server.ts.
//   java -cp 'lib/*' StandIn.java <port|0> [h2-file] [--no-fsync] [--ttl-monitor-ms=60000]
// With a file the data is kept in H2 (MVStore) there; without one it lives in memory.
// TTL indexes are enforced as mongod's TTL monitor does: every 60 s (or --ttl-monitor-ms) the
// documents whose indexed date is more than `expireAfterSeconds` old are deleted.
// Prints "LISTENING <port>" once bound, and stops when its standard input closes, so the
// server never outlives the Node process that started it.
//
// Durability: H2 on its own keeps writes in memory for up to a second after the server has
// acknowledged them, so a kill -9 loses acknowledged writes. Here every command that changed
// the store is committed (and, unless --no-fsync, synced to disk) before its answer goes back.
import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import de.bwaldvogel.mongo.oplog.Oplog;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.h2.mvstore.MVStore;

public class StandIn {
    /** Threads serving connections (see the bind in main). */
    static final int WORKER_THREADS = 64;

    /** A plain value an index can look up: what `{field: value}` compares by equality. */
    static boolean isScalar(Object v) {
        return v instanceof String || v instanceof Number || v instanceof Boolean || v instanceof ObjectId
            || v instanceof Instant || v instanceof java.util.Date || v instanceof UUID;
    }

    /** The values `{field: v}`, `{field: {$eq: v}}` or `{field: {$in: [...]}}` asks for; null if anything else. */
    static List<Object> equalityValues(Object condition) {
        if (isScalar(condition)) return List.of(condition);
        if (!(condition instanceof Document d) || d.size() != 1) return null;
        Object eq = d.get("$eq");
        if (eq != null) return isScalar(eq) ? List.of(eq) : null;
        if (d.get("$in") instanceof Collection<?> in && in.stream().allMatch(StandIn::isScalar)) return List.copyOf(in);
        return null;
    }

    /**
     * Positions in natural order (as a scan returns them), cheaply: the library's ValueComparator
     * works out type orders on every call, which made index upkeep its hottest code.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static final java.util.Comparator<Object> POSITION_ORDER = (a, b) ->
        a.getClass() == b.getClass() && a instanceof Comparable c ? c.compareTo(b) : ValueComparator.asc().compare(a, b);

    /** Numbers compare by value whatever their type, as in the server's own unique indexes. */
    static Object normalize(Object v) {
        if (v == null || v instanceof Missing) return null;
        if (v instanceof Long l && l != (long) l.doubleValue()) return l;
        if (v instanceof Number n) return n.doubleValue() == 0.0 ? 0.0 : n.doubleValue();
        return v;
    }

    /**
     * A non-unique index, in memory: positions by the value of the index's first field (array
     * elements each count). Enough to narrow `{to: x, status: ...}` to one person's entries.
     */
    static Instant asInstant(Object v) {
        if (v instanceof Instant i) return i;
        if (v instanceof java.util.Date d) return d.toInstant();
        return null;
    }

    /** `{$lt: date}` or `{$lte: date}` alone: the cutoff and whether it is inclusive; null if anything else. */
    static Map.Entry<Instant, Boolean> dateUpperBound(Object condition) {
        if (!(condition instanceof Document d) || d.size() != 1) return null;
        Instant lt = asInstant(d.get("$lt"));
        if (lt != null) return Map.entry(lt, false);
        Instant lte = asInstant(d.get("$lte"));
        return lte != null ? Map.entry(lte, true) : null;
    }

    static final class SecondaryIndex<P> extends Index<P> {
        private final String field;
        private final Map<Object, TreeSet<P>> positionsByValue = new HashMap<>();
        private final Map<P, List<Object>> valuesByPosition = new HashMap<>();
        private final Map<Object, P> positionById = new HashMap<>();

        SecondaryIndex(String name, List<IndexKey> keys, boolean sparse) {
            super(name, keys, sparse);
            this.field = keys.get(0).getKey();
        }

        private List<Object> valuesOf(Document document) {
            Object raw = Utils.getSubdocumentValueCollectionAware(document, field);
            List<Object> values = new ArrayList<>();
            if (raw instanceof Collection<?> many) for (Object v : many) values.add(normalize(v));
            else values.add(normalize(raw));
            return values;
        }

        synchronized long count(List<Object> wanted) {
            long n = 0;
            for (Object v : wanted) {
                TreeSet<P> positions = positionsByValue.get(normalize(v));
                if (positions != null) n += positions.size();
            }
            return n;
        }

        synchronized Iterable<P> positionsFor(List<Object> wanted) {
            if (wanted.size() == 1) {
                TreeSet<P> positions = positionsByValue.get(normalize(wanted.get(0)));
                return positions == null ? List.of() : new ArrayList<>(positions);
            }
            TreeSet<P> found = new TreeSet<>(POSITION_ORDER);
            for (Object v : wanted) {
                TreeSet<P> positions = positionsByValue.get(normalize(v));
                if (positions != null) found.addAll(positions);
            }
            return new ArrayList<>(found);
        }

        /** Positions whose value (or an element of it) is a date before `cutoff` (or at it, when inclusive). */
        synchronized Iterable<P> positionsBefore(Instant cutoff, boolean inclusive) {
            TreeSet<P> found = new TreeSet<>(POSITION_ORDER);
            for (Map.Entry<Object, TreeSet<P>> e : positionsByValue.entrySet()) {
                Instant at = asInstant(e.getKey());
                if (at != null && (at.isBefore(cutoff) || (inclusive && at.equals(cutoff)))) found.addAll(e.getValue());
            }
            return new ArrayList<>(found);
        }

        @Override public synchronized void add(Document document, P position, MongoCollection<P> collection) {
            List<Object> values = valuesOf(document);
            for (Object v : values) positionsByValue.computeIfAbsent(v, k -> new TreeSet<>(POSITION_ORDER)).add(position);
            valuesByPosition.put(position, values);
            positionById.put(normalize(document.get("_id")), position);
        }

        private void forget(P position) {
            List<Object> values = valuesByPosition.remove(position);
            if (values == null) return;
            for (Object v : values) {
                TreeSet<P> positions = positionsByValue.get(v);
                if (positions != null && positions.remove(position) && positions.isEmpty()) positionsByValue.remove(v);
            }
        }

        @Override public synchronized P remove(Document document) {
            P position = positionById.remove(normalize(document.get("_id")));
            if (position != null) forget(position);
            return position;
        }

        @Override public synchronized void updateInPlace(Document oldDocument, Document newDocument, P position, MongoCollection<P> collection) {
            forget(position);
            add(newDocument, position, collection);
        }

        @Override public P getPosition(Document document) { return null; }
        @Override public void checkAdd(Document document, MongoCollection<P> collection) { }
        @Override public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<P> collection) { }
        /** Queries reach it through the QueryPlanner, which knows which of their fields it covers. */
        @Override public boolean canHandle(Document query) { return false; }
        @Override public Iterable<P> getPositions(Document query) { throw new UnsupportedOperationException(); }
        @Override public synchronized long getCount() { return valuesByPosition.size(); }
        @Override public long getDataSize() { return getCount(); }
        @Override public synchronized void drop() {
            positionsByValue.clear();
            valuesByPosition.clear();
            positionById.clear();
        }
    }

    /**
     * First in every collection's index list: picks an index covering part of the query, a
     * unique one whose every field the query fixes, else a secondary index on a fixed first
     * field; `$or` uses the union of its branches, `$and` any branch that can be planned.
     */
    /** STANDIN_LOG_SCANS=<file>: every query that reads a whole collection of over 1,000 documents is written there (tuning). */
    static final String LOG_SCANS = System.getenv("STANDIN_LOG_SCANS");

    static synchronized void logScan(String line) {
        try {
            java.nio.file.Files.writeString(java.nio.file.Path.of(LOG_SCANS), line + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (java.io.IOException e) {
            // tuning aid only
        }
    }

    static final class QueryPlanner<P> extends Index<P> {
        private final MongoCollection<P> collection;
        private Document lastQuery;
        private Iterable<P> lastPlan;

        QueryPlanner(MongoCollection<P> collection) {
            super("$planner", List.of(new IndexKey("_id", true)), true);
            this.collection = collection;
        }

        private Iterable<P> plan(Document query) {
            // A field that must be in an empty list: nothing matches (mongoose writes `{_id: {$in: []}}` for "none of these").
            for (Object condition : query.values()) {
                if (condition instanceof Document d && d.size() == 1 && d.get("$in") instanceof Collection<?> in && in.isEmpty()) return List.of();
            }
            for (Index<P> index : collection.getIndexes()) {
                if (!(index instanceof AbstractUniqueIndex)) continue;
                Document fixed = new Document();
                for (IndexKey key : index.getKeys()) {
                    if (equalityValues(query.get(key.getKey())) == null) { fixed = null; break; }
                    fixed.put(key.getKey(), query.get(key.getKey()));
                }
                if (fixed != null && index.canHandle(fixed)) return index.getPositions(fixed);
            }
            // Of the secondary indexes whose first field the query fixes, the one with fewest candidates.
            SecondaryIndex<P> best = null;
            List<Object> bestValues = null;
            long fewest = Long.MAX_VALUE;
            for (Index<P> index : collection.getIndexes()) {
                if (!(index instanceof SecondaryIndex<P> secondary)) continue;
                List<Object> values = equalityValues(query.get(index.getKeys().get(0).getKey()));
                if (values == null) continue;
                long candidates = secondary.count(values);
                if (candidates < fewest) {
                    best = secondary;
                    bestValues = values;
                    fewest = candidates;
                }
            }
            if (best != null) return best.positionsFor(bestValues);
            // Dates before a cutoff on an indexed field (the TTL monitor's query, and sweeps like it).
            for (Index<P> index : collection.getIndexes()) {
                if (!(index instanceof SecondaryIndex<P> secondary)) continue;
                Map.Entry<Instant, Boolean> bound = dateUpperBound(query.get(index.getKeys().get(0).getKey()));
                if (bound != null) return secondary.positionsBefore(bound.getKey(), bound.getValue());
            }
            if (query.get("$or") instanceof List<?> branches && !branches.isEmpty()) {
                TreeSet<P> union = new TreeSet<>(POSITION_ORDER);
                for (Object branch : branches) {
                    Iterable<P> positions = branch instanceof Document b ? plan(b) : null;
                    if (positions == null) return null;
                    positions.forEach(union::add);
                }
                return new ArrayList<>(union);
            }
            if (query.get("$and") instanceof List<?> branches) {
                for (Object branch : branches) {
                    Iterable<P> positions = branch instanceof Document b ? plan(b) : null;
                    if (positions != null) return positions;
                }
            }
            return null;
        }

        // The collection is synchronized: canHandle and getPositions follow each other.
        @Override public boolean canHandle(Document query) {
            lastQuery = query;
            lastPlan = plan(query);
            if (lastPlan == null && LOG_SCANS != null && collection.count() > 1000) {
                logScan(collection.getCollectionName() + " (" + collection.count() + ") " + query);
            }
            return lastPlan != null;
        }

        @Override public Iterable<P> getPositions(Document query) {
            Iterable<P> plan = query == lastQuery ? lastPlan : plan(query);
            lastQuery = null;
            lastPlan = null;
            return plan;
        }

        // It holds nothing itself: maintenance is the other indexes' work.
        @Override public P getPosition(Document document) { return null; }
        @Override public void checkAdd(Document document, MongoCollection<P> collection) { }
        @Override public void add(Document document, P position, MongoCollection<P> collection) { }
        @Override public P remove(Document document) { return null; }
        @Override public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<P> collection) { }
        @Override public void updateInPlace(Document oldDocument, Document newDocument, P position, MongoCollection<P> collection) { }
        @Override public long getCount() { return 0; }
        @Override public boolean isEmpty() { return false; } // nothing to build when added
        @Override public long getDataSize() { return 0; }
        @Override public void drop() { }
    }

    static <P> MongoCollection<P> withPlanner(MongoCollection<P> collection) {
        collection.getIndexes().add(0, new QueryPlanner<>(collection));
        return collection;
    }

    /** Before the library drops a collection (which expects no index left), take the planner out. */
    static void withoutPlanner(MongoDatabase database, String collectionName) {
        MongoCollection<?> collection = database.resolveCollection(collectionName, false);
        if (collection != null) collection.getIndexes().removeIf(index -> index instanceof QueryPlanner);
    }

    /** A backend whose TTL indexes can be enforced now (see expire). */
    interface Expiring {
        void expireNow();
    }

    /**
     * What mongod's TTL monitor does: for every index with `expireAfterSeconds` (on one field),
     * deletes the documents whose value there is a date (for an array, any of its dates) more
     * than that many seconds before `now`. Values that are not dates never expire. Returns how
     * many documents went.
     */
    static int expire(MongoBackend backend, Set<String> databaseNames, Instant now) {
        int deleted = 0;
        for (String name : databaseNames) {
            MongoDatabase database = backend.resolveDatabase(name);
            MongoCollection<?> indexes = database.resolveCollection("system.indexes", false);
            if (indexes == null) continue;
            for (Document spec : indexes.handleQuery(new Document("expireAfterSeconds", new Document("$exists", true)))) {
                if (!(spec.get("key") instanceof Document key) || key.size() != 1) continue;
                if (!(spec.get("expireAfterSeconds") instanceof Number seconds) || !(spec.get("ns") instanceof String ns)) continue;
                if (!ns.startsWith(name + ".")) continue;
                MongoCollection<?> collection = database.resolveCollection(ns.substring(name.length() + 1), false);
                if (collection == null) continue;
                Instant cutoff = now.minusMillis(Math.round(seconds.doubleValue() * 1000));
                String field = key.keySet().iterator().next();
                deleted += collection.deleteDocuments(new Document(field, new Document("$lt", cutoff)), 0);
            }
        }
        return deleted;
    }

    static final class IndexedH2Database extends H2Database {
        IndexedH2Database(String name, MVStore store, CursorRegistry cursors) { super(name, store, cursors); }
        @Override protected MongoCollection<Object> openOrCreateCollection(String name, CollectionOptions options) {
            return withPlanner(super.openOrCreateCollection(name, options));
        }
        @Override protected Index<Object> openOrCreateSecondaryIndex(String collection, String name, List<IndexKey> keys, boolean sparse) {
            return new SecondaryIndex<>(name, keys, sparse);
        }
        @Override public void dropCollection(String name, Oplog oplog) {
            withoutPlanner(this, name);
            super.dropCollection(name, oplog);
        }
    }

    static final class IndexedMemoryDatabase extends MemoryDatabase {
        IndexedMemoryDatabase(String name, CursorRegistry cursors) { super(name, cursors); }
        @Override protected MemoryCollection openOrCreateCollection(String name, CollectionOptions options) {
            MemoryCollection collection = super.openOrCreateCollection(name, options);
            withPlanner(collection);
            return collection;
        }
        @Override protected Index<Integer> openOrCreateSecondaryIndex(String collection, String name, List<IndexKey> keys, boolean sparse) {
            return new SecondaryIndex<>(name, keys, sparse);
        }
        @Override public void dropCollection(String name, Oplog oplog) {
            withoutPlanner(this, name);
            super.dropCollection(name, oplog);
        }
    }

    static final class IndexedMemoryBackend extends MemoryBackend implements Expiring {
        @Override public MemoryDatabase openOrCreateDatabase(String name) { return new IndexedMemoryDatabase(name, getCursorRegistry()); }
        @Override public void expireNow() { expire(this, listDatabaseNames(), getClock().instant()); }
    }

    /**
     * H2 backend that commits (and syncs) before a write is acknowledged. A commit takes every
     * change made so far, other commands' too, so it waits until no command is half-way: an
     * insert puts the document and then its index entries, and a commit between the two, with a
     * kill -9 before the next, left a document its `_id` index did not know (found by status, not
     * by `_id`: the service could neither see nor record that message again). Commands run side by
     * side under a shared lock; a commit takes it exclusively, for the commit only (not the sync).
     */
    static final class DurableH2Backend extends H2Backend implements Expiring {
        private final MVStore store;
        private final boolean fsync;
        private final ReentrantReadWriteLock commands = new ReentrantReadWriteLock();
        private final Object committing = new Object();
        /** Commands can nest (a message runs a command): only the outermost one persists. */
        private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);

        DurableH2Backend(MVStore store, boolean fsync) {
            super(store);
            this.store = store;
            this.fsync = fsync;
        }

        @Override
        protected MongoDatabase openOrCreateDatabase(String databaseName) {
            // Called from the super constructor too, before this class's fields are set.
            return new IndexedH2Database(databaseName, getMvStore(), getCursorRegistry());
        }

        /** Runs a command under the shared lock; the outermost one then commits what it (and others) wrote. */
        private <T> T command(Supplier<T> run) {
            int[] nesting = depth.get();
            commands.readLock().lock();
            nesting[0]++;
            try {
                return run.get();
            } finally {
                nesting[0]--;
                commands.readLock().unlock();
                if (nesting[0] == 0) persist();
            }
        }

        private void persist() {
            // One commit covers every write made so far; concurrent commands share it.
            synchronized (committing) {
                if (!store.hasUnsavedChanges()) return;
                commands.writeLock().lock();
                try {
                    store.commit();
                } finally {
                    commands.writeLock().unlock();
                }
                if (fsync) store.sync();
            }
        }

        /** Expired documents are deleted and committed like any other write. */
        @Override public void expireNow() {
            command(() -> expire(this, listDatabaseNames(), getClock().instant()));
        }

        @Override
        public Document handleMessage(MongoMessage message) {
            return command(() -> super.handleMessage(message));
        }

        @Override
        public Document handleCommand(Channel channel, String database, String command, Document query) {
            return command(() -> super.handleCommand(channel, database, command, query));
        }
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String file = args.length > 1 && !args[1].startsWith("--") ? args[1] : null;
        boolean fsync = true;
        long ttlMonitorMs = 60_000;
        for (String a : args) {
            if (a.equals("--no-fsync")) fsync = false;
            if (a.startsWith("--ttl-monitor-ms=")) ttlMonitorMs = Long.parseLong(a.substring(17));
        }
        MongoServer server;
        Expiring expiring;
        MVStore store = null;
        if (file != null) {
            try {
                // H2 keeps 16 MB of pages by default: with a season of history the working set is larger,
                // and every miss reads and deserializes a page again.
                store = new MVStore.Builder().fileName(file).autoCommitDisabled().cacheSize(128).open();
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
            DurableH2Backend backend = new DurableH2Backend(store, fsync);
            expiring = backend;
            server = new MongoServer(backend);
        } else {
            IndexedMemoryBackend backend = new IndexedMemoryBackend();
            expiring = backend;
            server = new MongoServer(backend);
        }
        try {
            // Netty runs each command on its connection's event-loop thread, and a write holds it
            // through its commit and fsync. With Netty's default of 2 threads per core, 4 writes
            // at a time waited on the disk and the rest queued behind them: more threads let more
            // writes share each commit (see DurableH2Backend).
            server.bind(new InetSocketAddress("127.0.0.1", port), 1, WORKER_THREADS);
        } catch (RuntimeException e) {
            System.out.println("PORT_IN_USE " + port);
            System.out.flush();
            System.exit(4);
        }
        InetSocketAddress address = server.getLocalAddress();
        System.out.println("LISTENING " + address.getPort());
        System.out.flush();
        ScheduledExecutorService ttlMonitor = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "ttl-monitor");
            thread.setDaemon(true);
            return thread;
        });
        ttlMonitor.scheduleWithFixedDelay(() -> {
            try {
                expiring.expireNow();
            } catch (RuntimeException e) {
                // A collection dropped meanwhile, or the like: the next round tries again.
                System.err.println("ttl-monitor: " + e);
            }
        }, ttlMonitorMs, ttlMonitorMs, TimeUnit.MILLISECONDS);
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
