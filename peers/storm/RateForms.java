package streamtop.peers;

import java.nio.charset.StandardCharsets;

/**
 * The rate pipeline's arithmetic and record values (SPEC §5), as streamtop's engine/rates.go writes them:
 * the variation rounded to 1e-9 with Go's math.Round, the alert rule, the message text, and the number
 * forms ('f' for the rate record and the message, 'g' inside the JSON values).
 */
final class RateForms {
    private RateForms() {}

    /** rate − previous, rounded to 1e-9 (so 40058.22 − 40000 is 58.22, not 58.2199999…). */
    static double variation(double rate, double previous) {
        return GoFloat.round((rate - previous) * 1e9) / 1e9;
    }

    /** |variation| ≥ threshold, or > with strict. */
    static boolean alerts(double variation, double threshold, boolean strict) {
        double a = Math.abs(variation);
        return a > threshold || (!strict && a == threshold);
    }

    /** The rate record: a plain number in its shortest form. */
    static byte[] rateValue(double rate) {
        return GoFloat.formatF(rate).getBytes(StandardCharsets.UTF_8);
    }

    /** The gap record: {"rate":R,"previous":P,"variation":V}, or with originalGap |V| when it alerts, else 0. */
    static byte[] gapValue(double rate, double previous, double variation, boolean alert, boolean originalGap) {
        if (originalGap) {
            return GoFloat.formatF(alert ? Math.abs(variation) : 0).getBytes(StandardCharsets.UTF_8);
        }
        String v = "{\"rate\":" + GoFloat.formatG(rate) + ",\"previous\":" + GoFloat.formatG(previous)
                + ",\"variation\":" + GoFloat.formatG(variation) + "}";
        return v.getBytes(StandardCharsets.UTF_8);
    }

    /** The alert record: {"previous":P,"current":R,"variation":V,"message":M}. */
    static byte[] alertValue(double rate, double previous, double variation) {
        StringBuilder b = new StringBuilder(160);
        b.append("{\"previous\":").append(GoFloat.formatG(previous));
        b.append(",\"current\":").append(GoFloat.formatG(rate));
        b.append(",\"variation\":").append(GoFloat.formatG(variation));
        b.append(",\"message\":");
        Results.quote(b, message(rate, previous, variation));
        return b.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The alert's text: "BTC/CNY rose 70 CNY: 40030 → 40100" ("fell" for a negative variation). */
    static String message(double rate, double previous, double variation) {
        String dir = variation < 0 ? "fell" : "rose";
        return "BTC/CNY " + dir + " " + GoFloat.formatF(Math.abs(variation)) + " CNY: " + GoFloat.formatF(previous)
                + " → " + GoFloat.formatF(rate);
    }
}
