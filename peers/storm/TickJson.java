package streamtop.peers;

/**
 * The JSON tick forms read as Go's encoding/json reads them into engine.DecodeTick's struct: the whole
 * text must be valid JSON (nesting at most 10 000 deep); "rate" (a number or null), "ts" (an integer or
 * null) and "Realtime Currency Exchange Rate" (an object or null, whose "5. Exchange Rate" is a string
 * or null) match case-insensitively, a later duplicate wins (a repeated object merges into the first),
 * any other type is an error, and unknown members are skipped. Iterative where it skips, so a deep
 * document cannot overflow an executor's stack.
 */
final class TickJson {
    private static final int MAX_DEPTH = 10000;
    private static final String AV_KEY = "Realtime Currency Exchange Rate";
    private static final String AV_RATE = "5. Exchange Rate";

    private final String s;
    private int pos;

    Double rate;
    long ts;
    boolean avSeen;
    String avRate;

    TickJson(String s) {
        this.s = s;
    }

    /** Reads the whole text; throws IllegalArgumentException on invalid JSON or a wrong type. */
    void parse() {
        readObject(true);
        space();
        if (pos != s.length()) {
            throw bad("text after the object");
        }
    }

    private IllegalArgumentException bad(String why) {
        return new IllegalArgumentException("invalid JSON: " + why + " at " + pos);
    }

    /** Reads an object's members: the tick's own (top) or the Alpha Vantage object's. */
    private void readObject(boolean top) {
        expect('{');
        space();
        if (peek() == '}') {
            pos++;
            return;
        }
        while (true) {
            space();
            String key = readString();
            space();
            expect(':');
            space();
            if (top) {
                topMember(key);
            } else if (key.equalsIgnoreCase(AV_RATE)) {
                avRate = nullOr() ? null : stringValue();
            } else {
                skipValue(2);
            }
            space();
            char c = next();
            if (c == '}') {
                return;
            }
            if (c != ',') {
                throw bad("expected , or }");
            }
        }
    }

    private void topMember(String key) {
        if (key.equalsIgnoreCase("rate")) {
            rate = nullOr() ? null : Double.valueOf(numberValue());
        } else if (key.equalsIgnoreCase("ts")) {
            if (!nullOr()) {
                String n = numberText();
                try {
                    ts = Long.parseLong(n);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("ts " + n + " is not an int64");
                }
            }
        } else if (key.equalsIgnoreCase(AV_KEY)) {
            if (nullOr()) {
                avSeen = false;
                avRate = null;
            } else if (peek() == '{') {
                if (!avSeen) {
                    avSeen = true;
                    avRate = null;
                }
                readObject(false);
            } else {
                throw new IllegalArgumentException(AV_KEY + " is not an object");
            }
        } else {
            skipValue(1);
        }
    }

    /** Consumes a null literal if one is next. */
    private boolean nullOr() {
        if (s.startsWith("null", pos)) {
            pos += 4;
            return true;
        }
        return false;
    }

    private double numberValue() {
        return Double.parseDouble(numberText());
    }

    private String stringValue() {
        if (peek() != '"') {
            throw new IllegalArgumentException("a string is expected");
        }
        return readString();
    }

    /** A JSON number: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?; anything else where a number belongs is a type error. */
    private String numberText() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (digit(peek())) {
            digits();
        } else {
            throw new IllegalArgumentException("a number is expected");
        }
        if (peek() == '.') {
            pos++;
            if (!digit(peek())) {
                throw bad("digit expected");
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!digit(peek())) {
                throw bad("digit expected");
            }
            digits();
        }
        return s.substring(start, pos);
    }

    private void digits() {
        while (digit(peek())) {
            pos++;
        }
    }

    private static boolean digit(char c) {
        return c >= '0' && c <= '9';
    }

    /**
     * Skips one valid JSON value inside a container at nesting depth depth (the tick object is 1). Containers are tracked on an
     * explicit stack ('{' or '['), not by recursion.
     */
    private void skipValue(int depth) {
        StringBuilder stack = new StringBuilder();
        while (true) {
            space();
            char c = peek();
            if (c == '{' || c == '[') {
                if (depth + stack.length() + 1 > MAX_DEPTH) {
                    throw bad("exceeded max depth");
                }
                pos++;
                stack.append(c);
                space();
                char close = c == '{' ? '}' : ']';
                if (peek() == close) {
                    pos++;
                    stack.setLength(stack.length() - 1);
                } else {
                    if (c == '{') {
                        memberKey();
                    }
                    continue;
                }
            } else {
                scalar();
            }
            if (!afterValue(stack)) {
                return;
            }
        }
    }

    /** After a value inside the skipped containers: closes what ends; false once the skipped value is done. */
    private boolean afterValue(StringBuilder stack) {
        while (stack.length() > 0) {
            space();
            char open = stack.charAt(stack.length() - 1);
            char c = next();
            if (c == ',') {
                if (open == '{') {
                    space();
                    memberKey();
                }
                return true;
            }
            if (c != (open == '{' ? '}' : ']')) {
                throw bad("expected , or a closing bracket");
            }
            stack.setLength(stack.length() - 1);
        }
        return false;
    }

    private void memberKey() {
        readString();
        space();
        expect(':');
    }

    private void scalar() {
        char c = peek();
        if (c == '"') {
            readString();
        } else if (c == '-' || digit(c)) {
            numberText();
        } else if (!(literal("true") || literal("false") || literal("null"))) {
            throw bad("a value is expected");
        }
    }

    private boolean literal(String word) {
        if (s.startsWith(word, pos)) {
            pos += word.length();
            return true;
        }
        return false;
    }

    private String readString() {
        expect('"');
        StringBuilder b = new StringBuilder();
        while (pos < s.length()) {
            char c = s.charAt(pos++);
            if (c == '"') {
                return b.toString();
            }
            if (c < 0x20) {
                throw bad("control character in a string");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char x = next();
            switch (x) {
                case '"': case '\\': case '/': b.append(x); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'n': b.append('\n'); break;
                case 'r': b.append('\r'); break;
                case 't': b.append('\t'); break;
                case 'u': b.append(hex4()); break;
                default: throw bad("bad escape");
            }
        }
        throw bad("unterminated string");
    }

    private char hex4() {
        if (pos + 4 > s.length()) {
            throw bad("bad \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            char c = s.charAt(pos++);
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) {
                throw bad("bad \\u escape");
            }
            v = v * 16 + d;
        }
        return (char) v;
    }

    private void space() {
        while (pos < s.length() && " \t\r\n".indexOf(s.charAt(pos)) >= 0) {
            pos++;
        }
    }

    private char peek() {
        return pos < s.length() ? s.charAt(pos) : 0;
    }

    private char next() {
        if (pos >= s.length()) {
            throw bad("unexpected end");
        }
        return s.charAt(pos++);
    }

    private void expect(char c) {
        if (next() != c) {
            pos--;
            throw bad("expected '" + c + "'");
        }
    }
}
