package compare

// EvidenceKeys is how many keys hold evidence for causes.
func EvidenceKeys(c *Comparator) int { return c.evKeys }
