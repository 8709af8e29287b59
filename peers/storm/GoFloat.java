package streamtop.peers;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * The float forms streamtop's rate pipeline writes, reproduced byte for byte: Go's
 * strconv.FormatFloat(x, 'f', -1, 64) and (x, 'g', -1, 64), and math.Round. The peer's records are
 * compared with streamtop's as bytes, and JDK 17's Double.toString is neither Go's layout nor always
 * the shortest digits, so the shortest digits are found here with exact decimal arithmetic.
 */
final class GoFloat {
    private GoFloat() {}

    /** Shortest decimal digits of a finite x ≥ 0 as Go finds them: x = 0.DIGITS × 10^dp. */
    private static final class Digits {
        String d = "";
        int dp;
    }

    /** Go's math.Round: half away from zero, exact for every double, −0 kept. */
    static double round(double x) {
        double a = Math.abs(x);
        if (Double.isNaN(x) || a >= 0x1p52) {
            return x;
        }
        if (a < 0.5) {
            return Math.copySign(0.0, x);
        }
        if (a < 1) {
            return Math.copySign(1.0, x);
        }
        double t = Math.floor(a);
        if (a - t >= 0.5) {
            t += 1;
        }
        return Math.copySign(t, x);
    }

    /** strconv.FormatFloat(x, 'f', -1, 64). */
    static String formatF(double x) {
        String special = special(x);
        if (special != null) {
            return special;
        }
        Digits g = shortest(Math.abs(x));
        StringBuilder b = new StringBuilder(24);
        if (isNegative(x)) {
            b.append('-');
        }
        return fixed(b, g, Math.max(g.d.length() - g.dp, 0)).toString();
    }

    /** strconv.FormatFloat(x, 'g', -1, 64): %e when the exponent is below −4 or at least 6. */
    static String formatG(double x) {
        String special = special(x);
        if (special != null) {
            return special;
        }
        Digits g = shortest(Math.abs(x));
        StringBuilder b = new StringBuilder(24);
        if (isNegative(x)) {
            b.append('-');
        }
        int exp = g.dp - 1;
        if (exp < -4 || exp >= 6) {
            return exponent(b, g).toString();
        }
        int prec = g.d.length();
        if (prec > g.dp) {
            prec = g.d.length();
        }
        return fixed(b, g, Math.max(prec - g.dp, 0)).toString();
    }

    private static boolean isNegative(double x) {
        return Double.doubleToRawLongBits(x) < 0;
    }

    private static String special(double x) {
        if (Double.isNaN(x)) {
            return "NaN";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "+Inf" : "-Inf";
        }
        return null;
    }

    /** Go's fmtF: the digits with prec digits after the point, zeros where the digits end. */
    private static StringBuilder fixed(StringBuilder b, Digits g, int prec) {
        int nd = g.d.length();
        if (g.dp > 0) {
            int m = Math.min(nd, g.dp);
            b.append(g.d, 0, m);
            for (; m < g.dp; m++) {
                b.append('0');
            }
        } else {
            b.append('0');
        }
        if (prec > 0) {
            b.append('.');
            for (int i = 1; i <= prec; i++) {
                int j = g.dp + i - 1;
                b.append(j >= 0 && j < nd ? g.d.charAt(j) : '0');
            }
        }
        return b;
    }

    /** Go's fmtE with the shortest digits: d.ddde±XX, at least two exponent digits. */
    private static StringBuilder exponent(StringBuilder b, Digits g) {
        int nd = g.d.length();
        b.append(nd == 0 ? '0' : g.d.charAt(0));
        if (nd > 1) {
            b.append('.').append(g.d, 1, nd);
        }
        int exp = nd == 0 ? 0 : g.dp - 1;
        b.append('e').append(exp < 0 ? '-' : '+');
        exp = Math.abs(exp);
        if (exp < 10) {
            b.append('0');
        }
        return b.append(exp);
    }

    /**
     * The fewest significant digits that read back as x; among several of that length, the one nearest
     * x (what Go's roundShortest gives). Exact: candidates are compared as BigDecimals.
     */
    private static Digits shortest(double x) {
        Digits g = new Digits();
        if (x == 0) {
            return g;
        }
        BigDecimal exact = new BigDecimal(x);
        for (int p = 1; p <= 17; p++) {
            BigDecimal near = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            BigDecimal step = BigDecimal.ONE.scaleByPowerOfTen(near.precision() - near.scale() - p);
            BigDecimal best = null;
            for (BigDecimal c : new BigDecimal[] {near, near.subtract(step), near.add(step)}) {
                if (c.signum() > 0 && c.doubleValue() == x
                        && (best == null || c.subtract(exact).abs().compareTo(best.subtract(exact).abs()) < 0)) {
                    best = c;
                }
            }
            if (best != null) {
                BigDecimal s = best.stripTrailingZeros();
                g.d = s.unscaledValue().toString();
                g.dp = g.d.length() - s.scale();
                return g;
            }
        }
        throw new IllegalStateException("no shortest form for " + x);
    }
}
