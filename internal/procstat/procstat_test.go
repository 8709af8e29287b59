package procstat

import "testing"

func TestParseStatCountsFieldsAfterTheName(t *testing.T) {
	// The command name may hold spaces and parentheses.
	line := "4242 (java (x) y) S 1 4240 4240 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 30 0 12345 999999 512 18446744073709551615"
	st, err := Parse([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if st.Pgrp != 4240 || st.Utime != 250 || st.Stime != 50 || st.Cutime != 7 || st.Cstime != 3 || st.RSSPages != 512 {
		t.Fatalf("parsed %+v", st)
	}
	if _, err := Parse([]byte("1 (x) S 1 2")); err == nil {
		t.Fatal("a short line parsed")
	}
}
