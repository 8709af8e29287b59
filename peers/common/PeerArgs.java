package streamtop.peers;

import java.io.FileInputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/** The job contract's arguments (peers/README.md): `--name value` pairs, checked against a known set. */
public final class PeerArgs {
    private final Map<String, String> values = new HashMap<>();

    private PeerArgs() {}

    /**
     * Parses args, accepting only the names in known. A bad argument prints one line on stderr and
     * exits 2, as the contract says.
     */
    public static PeerArgs parse(String[] args, Set<String> known) {
        PeerArgs a = new PeerArgs();
        for (int i = 0; i < args.length; i++) {
            String k = args[i];
            if (!k.startsWith("--")) {
                usage("unexpected argument " + k);
            }
            String name = k.substring(2);
            String v;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                v = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else {
                if (i + 1 >= args.length) {
                    usage("--" + name + " needs a value");
                }
                v = args[++i];
            }
            if (!known.contains(name)) {
                usage("unknown argument --" + name);
            }
            a.values.put(name, v);
        }
        return a;
    }

    static void usage(String msg) {
        System.err.println("streamtop peer: " + msg);
        System.exit(2);
    }

    public String str(String name, String def) {
        return values.getOrDefault(name, def);
    }

    public String required(String name) {
        String v = values.get(name);
        if (v == null || v.isEmpty()) {
            usage("--" + name + " is required");
        }
        return v;
    }

    public long millis(String name, long def) {
        String v = values.get(name);
        if (v == null) {
            return def;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                usage("--" + name + " must be ≥ 0 ms, not " + v);
            }
            return n;
        } catch (NumberFormatException e) {
            usage("--" + name + " must be a number of ms, not " + v);
            return def;
        }
    }

    public double number(String name, double def) {
        String v = values.get(name);
        if (v == null) {
            return def;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            usage("--" + name + " must be a number, not " + v);
            return def;
        }
    }

    public boolean bool(String name, boolean def) {
        String v = values.get(name);
        if (v == null) {
            return def;
        }
        if (v.equals("true") || v.equals("false")) {
            return v.equals("true");
        }
        usage("--" + name + " must be true or false, not " + v);
        return def;
    }

    /** Start offsets `P:O,P:O…` (empty: none listed, every partition from its earliest). */
    public Map<Integer, Long> offsets(String name) {
        Map<Integer, Long> m = new HashMap<>();
        String v = values.get(name);
        if (v == null || v.isEmpty()) {
            return m;
        }
        for (String part : v.split(",")) {
            String[] po = part.split(":");
            try {
                if (po.length != 2) {
                    throw new NumberFormatException();
                }
                m.put(Integer.parseInt(po[0].trim()), Long.parseLong(po[1].trim()));
            } catch (NumberFormatException e) {
                usage("--" + name + ": " + part + " is not PARTITION:OFFSET");
            }
        }
        return m;
    }

    /** The client settings of --kafka-props (TLS, SASL), with bootstrap.servers from --brokers. */
    public Properties kafkaProps() {
        Properties p = new Properties();
        String file = values.get("kafka-props");
        if (file != null && !file.isEmpty()) {
            try (FileInputStream in = new FileInputStream(file)) {
                p.load(in);
            } catch (IOException e) {
                usage("--kafka-props " + file + ": " + e.getMessage());
            }
        }
        p.setProperty("bootstrap.servers", required("brokers"));
        return p;
    }

    /** The argument names every aggregating peer takes. */
    public static final Set<String> AGGREGATE = Set.of("brokers", "kafka-props", "events", "output", "engine",
            "window", "watermark", "idle", "lateness", "dedup", "start", "bounded", "group", "state-dir",
            "guarantee", "variant");

    /** Prints a line the streamtop runner reads on stdout. */
    public static void say(String line) {
        System.out.println("streamtop-peer " + line);
        System.out.flush();
    }
}
