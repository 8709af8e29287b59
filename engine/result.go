package engine

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Key identifies one windowed aggregate: a device, a category and a window end.
type Key struct {
	Device    string
	Category  string
	WindowEnd int64 // ms since the epoch
}

// Compare orders keys by window end, device, category (SPEC §4's row order).
func (k Key) Compare(o Key) int {
	if c := cmp.Compare(k.WindowEnd, o.WindowEnd); c != 0 {
		return c
	}
	if c := cmp.Compare(k.Device, o.Device); c != 0 {
		return c
	}
	return cmp.Compare(k.Category, o.Category)
}

// String renders the key as device|category|window_end, the result record key.
func (k Key) String() string {
	return k.Device + "|" + k.Category + "|" + strconv.FormatInt(k.WindowEnd, 10)
}

// Agg is the value of a windowed aggregate.
type Agg struct {
	M1    int64
	M2    float64
	Count int64
}

// Add folds one event's measures into the aggregate.
func (a *Agg) Add(m1 int64, m2 float64) {
	a.M1 += m1
	a.M2 += m2
	a.Count++
}

// Merge adds another aggregate (a delta) to this one.
func (a *Agg) Merge(o Agg) {
	a.M1 += o.M1
	a.M2 += o.M2
	a.Count += o.Count
}

// Result is one emission of an engine (SPEC §3). The downstream value of a
// key is its latest emission. Incomplete marks a value the engine knows to be
// partial (it lost input), which a comparator lists as pending.
type Result struct {
	Key
	Agg
	Engine     string
	Incomplete bool
}

// jsonResult is the result's wire shape. window_end is ms since the epoch;
// readers also accept the "YYYY-MM-DD HH:MM:SS" label.
type jsonResult struct {
	WindowEnd  json.RawMessage `json:"window_end"`
	Device     *string         `json:"device"`
	Category   *string         `json:"category"`
	M1         *int64          `json:"m1_sum"`
	M2         *float64        `json:"m2_sum"`
	Count      *int64          `json:"count"`
	Engine     string          `json:"engine"`
	Incomplete bool            `json:"incomplete,omitempty"`
}

// AppendJSON appends the result's JSON form:
// {"window_end":ms,"device":…,"category":…,"m1_sum":…,"m2_sum":…,"count":…,"engine":…}.
func (r Result) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"window_end":`...)
	dst = strconv.AppendInt(dst, r.WindowEnd, 10)
	dst = append(dst, `,"device":`...)
	dst = AppendJSONString(dst, r.Device)
	dst = append(dst, `,"category":`...)
	dst = AppendJSONString(dst, r.Category)
	dst = append(dst, `,"m1_sum":`...)
	dst = strconv.AppendInt(dst, r.M1, 10)
	dst = append(dst, `,"m2_sum":`...)
	dst = strconv.AppendFloat(dst, r.M2, 'g', -1, 64)
	dst = append(dst, `,"count":`...)
	dst = strconv.AppendInt(dst, r.Count, 10)
	dst = append(dst, `,"engine":`...)
	dst = AppendJSONString(dst, r.Engine)
	if r.Incomplete {
		dst = append(dst, `,"incomplete":true`...)
	}
	return append(dst, '}')
}

// checkResultLengths reports the first of a result's strings that is too long.
func checkResultLengths(device, category, engine string) error {
	for _, f := range []struct {
		name   string
		n, max int
	}{{"device", len(device), MaxDeviceLen}, {"category", len(category), MaxCategoryLen}, {"engine", len(engine), MaxEngineLen}} {
		if f.n > f.max {
			return fmt.Errorf("%w result: %s is %d bytes, longer than the %d allowed", ErrMalformed, f.name, f.n, f.max)
		}
	}
	return nil
}

// DecodeResult parses a result record's value; its strings read as
// encoding/json reads them (invalid UTF-8 as U+FFFD), as events do. Errors
// wrap ErrMalformed.
func DecodeResult(b []byte) (Result, error) {
	var j jsonResult
	if err := json.Unmarshal(bytes.TrimSpace(b), &j); err != nil {
		return Result{}, fmt.Errorf("%w result: %v", ErrMalformed, err)
	}
	if len(j.WindowEnd) == 0 || j.Device == nil || j.Category == nil || j.M1 == nil {
		return Result{}, fmt.Errorf("%w result: missing window_end, device, category or m1_sum", ErrMalformed)
	}
	if err := checkResultLengths(*j.Device, *j.Category, j.Engine); err != nil {
		return Result{}, err
	}
	var end int64
	if j.WindowEnd[0] == '"' {
		var s string
		if err := json.Unmarshal(j.WindowEnd, &s); err != nil {
			return Result{}, fmt.Errorf("%w result: window_end: %v", ErrMalformed, err)
		}
		t, err := ParseWindow(s)
		if err != nil {
			if t, err = strconv.ParseInt(s, 10, 64); err != nil {
				return Result{}, fmt.Errorf("%w result: window_end %q is neither ms nor %s", ErrMalformed, clip(s), WindowLayout)
			}
		}
		end = t
	} else {
		t, err := strconv.ParseInt(string(j.WindowEnd), 10, 64)
		if err != nil {
			return Result{}, fmt.Errorf("%w result: window_end is not an integer", ErrMalformed)
		}
		end = t
	}
	if end < -MaxTime || end > MaxTime {
		return Result{}, fmt.Errorf("%w result: window_end %d is out of range", ErrMalformed, end)
	}
	r := Result{Key: Key{Device: *j.Device, Category: *j.Category, WindowEnd: end},
		Agg: Agg{M1: *j.M1}, Engine: j.Engine, Incomplete: j.Incomplete}
	if j.M2 != nil {
		if math.IsNaN(*j.M2) || math.IsInf(*j.M2, 0) {
			return Result{}, fmt.Errorf("%w result: m2_sum is not finite", ErrMalformed)
		}
		r.M2 = *j.M2
	}
	if j.Count != nil {
		r.Count = *j.Count
	}
	return r, nil
}
