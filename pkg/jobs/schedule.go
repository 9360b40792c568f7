package jobs

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Next is the first time after t at which s fires, in s's time zone, as
// EventBridge Scheduler computes it: the local stack runs the schedules
// with it. A rate fires every interval counted from start.
func (s Schedule) Next(t, start time.Time) (time.Time, error) {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return time.Time{}, err
	}
	if s.Rate != "" {
		every, err := rateInterval(s.Rate)
		if err != nil {
			return time.Time{}, err
		}
		if t.Before(start) {
			return start, nil
		}
		n := t.Sub(start)/every + 1
		return start.Add(n * every), nil
	}
	c, err := parseCron(s.Cron)
	if err != nil {
		return time.Time{}, err
	}
	return c.next(t.In(loc))
}

func rateInterval(r string) (time.Duration, error) {
	n, unit, ok := strings.Cut(r, " ")
	v, err := strconv.Atoi(n)
	if !ok || err != nil || v < 1 {
		return 0, fmt.Errorf("rate %q: want N minutes, hours or days", r)
	}
	switch strings.TrimSuffix(unit, "s") {
	case "minute":
		return time.Duration(v) * time.Minute, nil
	case "hour":
		return time.Duration(v) * time.Hour, nil
	case "day":
		return time.Duration(v) * 24 * time.Hour, nil
	}
	return 0, fmt.Errorf("rate %q: unknown unit", r)
}

// cron is an EventBridge cron expression: minutes, hours, day of month,
// month, day of week (1 = SUN), year. The L, W and # forms are not
// supported (refused when the job loads).
type cron struct {
	min, hour, dom, month, dow, year set
	anyDOM, anyDOW                   bool
}

type set map[int]bool

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
)

func parseCron(expr string) (*cron, error) {
	f := strings.Fields(expr)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron %q: want six fields (minutes hours day-of-month month day-of-week year)", expr)
	}
	c := &cron{}
	var err error
	parse := func(i, lo, hi int, names map[string]int) (set, bool) {
		if err != nil {
			return nil, false
		}
		var s set
		var any bool
		s, any, err = field(f[i], lo, hi, names)
		return s, any
	}
	c.min, _ = parse(0, 0, 59, nil)
	c.hour, _ = parse(1, 0, 23, nil)
	c.dom, c.anyDOM = parse(2, 1, 31, nil)
	c.month, _ = parse(3, 1, 12, monthNames)
	c.dow, c.anyDOW = parse(4, 1, 7, dayNames)
	c.year, _ = parse(5, 1970, 2199, nil)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %w", expr, err)
	}
	if (f[2] == "?") == (f[4] == "?") {
		return nil, fmt.Errorf("cron %q: exactly one of day-of-month and day-of-week must be ?", expr)
	}
	return c, nil
}

// field parses one field: *, ?, a value, a range a-b, a step x/n, and
// lists of these.
func field(s string, lo, hi int, names map[string]int) (set, bool, error) {
	if s == "?" || s == "*" {
		out := set{}
		for v := lo; v <= hi; v++ {
			out[v] = true
		}
		return out, s == "?", nil
	}
	if strings.ContainsAny(s, "LW#") && names == nil || strings.Contains(s, "#") || s == "L" || strings.HasSuffix(s, "L") || strings.HasSuffix(s, "W") {
		return nil, false, fmt.Errorf("%q: L, W and # are not supported", s)
	}
	out := set{}
	for _, part := range strings.Split(s, ",") {
		rng, step := part, 1
		if r, st, ok := strings.Cut(part, "/"); ok {
			n, err := strconv.Atoi(st)
			if err != nil || n < 1 {
				return nil, false, fmt.Errorf("%q: bad step", part)
			}
			rng, step = r, n
		}
		a, b := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			x, y, _ := strings.Cut(rng, "-")
			var err error
			if a, err = value(x, names); err != nil {
				return nil, false, err
			}
			if b, err = value(y, names); err != nil {
				return nil, false, err
			}
		default:
			v, err := value(rng, names)
			if err != nil {
				return nil, false, err
			}
			a = v
			if step == 1 {
				b = v
			}
		}
		if a < lo || b > hi || a > b {
			return nil, false, fmt.Errorf("%q: out of %d-%d", part, lo, hi)
		}
		for v := a; v <= b; v += step {
			out[v] = true
		}
	}
	return out, false, nil
}

func value(s string, names map[string]int) (int, error) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q: not a number", s)
	}
	return v, nil
}

// next finds the first matching minute after t (in t's location),
// looking at most five years ahead. A wall-clock time the change to
// summer time skips (02:30 on the spring-forward night) runs at the same
// offset after the gap (03:30), once; one the change back repeats runs
// at its first occurrence.
func (c *cron) next(t time.Time) (time.Time, error) {
	loc := t.Location()
	hours, mins := sorted(c.hour), sorted(c.min)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	for i := 0; i < 5*366; i++ {
		d := day.AddDate(0, 0, i)
		if !c.year[d.Year()] || !c.month[int(d.Month())] || !c.day(d) {
			continue
		}
		for _, h := range hours {
			for _, m := range mins {
				cand := time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, loc)
				if cand.After(t) {
					return cand, nil
				}
			}
		}
	}
	return time.Time{}, fmt.Errorf("no time matches within five years")
}

func sorted(s set) []int {
	out := make([]int, 0, len(s))
	for v := range s {
		out = append(out, v)
	}
	sort.Ints(out)
	return out
}

func (c *cron) day(t time.Time) bool {
	if c.anyDOM {
		return c.dow[int(t.Weekday())+1]
	}
	return c.dom[t.Day()]
}
