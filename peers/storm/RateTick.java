package streamtop.peers;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * One exchange-rate tick (SPEC §5), decoded as streamtop's engine.DecodeTick does: a plain number (Go's
 * float syntax), {"rate":x,"ts":ms}, or Alpha Vantage's
 * {"Realtime Currency Exchange Rate":{"5. Exchange Rate":"40307.73"}}; keys match case-insensitively and
 * a later duplicate wins, as in Go's encoding/json; a rate must be positive and at most 1e12. A flat
 * hand-written reader: the peers share no JSON library, and the outcome must be Go's for every input.
 */
final class RateTick {
    static final double MAX_RATE = 1e12;

    final double rate;
    final long ts; // ms since the epoch; 0 when the tick carried none

    private RateTick(double rate, long ts) {
        this.rate = rate;
        this.ts = ts;
    }

    /** Decodes one record value; throws IllegalArgumentException with a short reason. */
    static RateTick decode(byte[] value) {
        String s = trimGoSpace(value == null ? "" : new String(value, StandardCharsets.UTF_8));
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty");
        }
        if (s.charAt(0) != '{') {
            return check(parseGoFloat(s, "not a number"), 0);
        }
        TickJson j = new TickJson(s);
        j.parse();
        if (j.rate != null) {
            return check(j.rate, j.ts);
        }
        if (j.avSeen && j.avRate != null) {
            return check(parseGoFloat(j.avRate, "exchange rate is not a number"), 0);
        }
        throw new IllegalArgumentException("no rate field");
    }

    private static RateTick check(double rate, long ts) {
        if (Double.isNaN(rate) || rate <= 0 || rate > MAX_RATE) {
            throw new IllegalArgumentException("rate " + rate + " is not a positive number up to 1e12");
        }
        return new RateTick(rate, ts);
    }

    /** Go's unicode.IsSpace, which bytes.TrimSpace uses. */
    static boolean isGoSpace(int c) {
        switch (c) {
            case '\t': case '\n': case 0x0B: case '\f': case '\r': case ' ': case 0x85: case 0xA0:
            case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
                return true;
            default:
                return c >= 0x2000 && c <= 0x200A;
        }
    }

    private static String trimGoSpace(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && isGoSpace(s.charAt(a))) {
            a++;
        }
        while (b > a && isGoSpace(s.charAt(b - 1))) {
            b--;
        }
        return s.substring(a, b);
    }

    private static final Pattern DECIMAL = Pattern.compile(
            "[+-]?(?:[0-9_]+\\.?[0-9_]*|\\.[0-9_]+)(?:[eE][+-]?[0-9_]+)?");
    private static final Pattern HEX = Pattern.compile(
            "[+-]?0[xX](?:[0-9a-fA-F_]+\\.?[0-9a-fA-F_]*|\\.[0-9a-fA-F_]+)[pP][+-]?[0-9_]+");
    private static final Pattern SPECIAL = Pattern.compile("(?i)[+-]?(?:inf|infinity)|nan");

    /**
     * strconv.ParseFloat(s, 64): Go's float literal syntax (decimal, or hexadecimal with a p exponent;
     * underscores only between digits; [+-]inf, [+-]infinity, nan), the whole string, no spaces. A value beyond
     * the float64 range is an error in Go; here it becomes infinite, which check() rejects as well.
     */
    static double parseGoFloat(String s, String why) {
        if (SPECIAL.matcher(s).matches()) {
            String l = s.toLowerCase(java.util.Locale.ROOT);
            return l.contains("nan") ? Double.NaN : l.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        boolean hex = HEX.matcher(s).matches();
        if (!hex && !DECIMAL.matcher(s).matches() || !hasMantissaDigit(s, hex)
                || s.indexOf('_') >= 0 && !underscoreOK(s)) {
            throw new IllegalArgumentException(why);
        }
        try {
            return Double.parseDouble(s.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(why);
        }
    }

    private static boolean hasMantissaDigit(String s, boolean hex) {
        int i = s.startsWith("+") || s.startsWith("-") ? 1 : 0;
        if (hex) {
            i += 2;
        }
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9' || hex && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
                return true;
            }
            if (c != '_' && c != '.') {
                return false;
            }
        }
        return false;
    }

    /** Go's strconv.underscoreOK: an underscore only between digits (a base prefix counts as one). */
    private static boolean underscoreOK(String s) {
        char saw = '^';
        int i = 0;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            s = s.substring(1);
        }
        boolean hex = false;
        if (s.length() >= 2 && s.charAt(0) == '0' && "bBoOxX".indexOf(s.charAt(1)) >= 0) {
            i = 2;
            saw = '0';
            hex = s.charAt(1) == 'x' || s.charAt(1) == 'X';
        }
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            char l = Character.toLowerCase(c);
            if (c >= '0' && c <= '9' || hex && l >= 'a' && l <= 'f') {
                saw = '0';
                continue;
            }
            if (c == '_') {
                if (saw != '0') {
                    return false;
                }
                saw = '_';
                continue;
            }
            if (saw == '_') {
                return false;
            }
            saw = '!';
        }
        return saw != '_';
    }
}
