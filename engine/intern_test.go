package engine

import (
	"strconv"
	"testing"
	"unsafe"
)

// A burst of new devices leaves the decoder's intern tables within two
// generations: only the devices still sending stay, at the same address.
func TestDecoderForgetsABurstOfDevices(t *testing.T) {
	d := NewDecoder()
	line := func(dev string, i int) []byte {
		return Event{ID: dev + "-" + strconv.Itoa(i), Device: dev, Time: 1, Category: "cat-1", M1: 1, M2: 1}.AppendJSON(nil)
	}
	first, err := d.Decode(line("steady-0", 0))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100_000 {
		if _, err := d.Decode(line("burst-"+strconv.Itoa(i), i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2*internGeneration + 1 {
		if _, err := d.Decode(line("steady-"+strconv.Itoa(i%10), i)); err != nil {
			t.Fatal(err)
		}
	}
	held := map[string]bool{}
	for _, m := range []map[string]string{d.devices.cur, d.devices.prev} {
		for s := range m {
			held[s] = true
		}
	}
	if len(held) != 10 {
		t.Fatalf("the decoder still interns %d devices after the burst, want the 10 still sending", len(held))
	}
	last, _ := d.Decode(line("steady-0", 1))
	if unsafe.StringData(last.Device) != unsafe.StringData(first.Device) {
		t.Error("a device sending throughout was interned anew")
	}
}
