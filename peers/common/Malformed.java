package streamtop.peers;

import java.util.concurrent.atomic.AtomicLong;

/** Counts malformed records and reports them on stderr at most once a second. */
public final class Malformed implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private static final AtomicLong COUNT = new AtomicLong();
    private static final AtomicLong LAST = new AtomicLong();

    private Malformed() {}

    public static void skip(String where, String why) {
        long n = COUNT.incrementAndGet();
        long now = System.currentTimeMillis();
        long last = LAST.get();
        if (now - last >= 1000 && LAST.compareAndSet(last, now)) {
            System.err.println("malformed record skipped (" + n + " so far): " + where + ": " + why);
        }
    }
}
