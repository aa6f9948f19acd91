package sim

import (
	"bufio"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Dist is a delay distribution described the way ping reports one: minimum,
// average, maximum and mean deviation. Sample draws from a normal
// distribution around Avg with standard deviation Mdev, clamped to
// [Min, Max], which reproduces both the typical delay and its rare tail
// without inventing delays outside the measured range.
type Dist struct {
	Min, Avg, Max, Mdev time.Duration
}

// Const is a distribution that always yields d.
func Const(d time.Duration) Dist { return Dist{Min: d, Avg: d, Max: d} }

// Uniformish spreads delays over [lo, hi] around the midpoint, with a
// deviation of a quarter of the range.
func Uniformish(lo, hi time.Duration) Dist {
	return Dist{Min: lo, Avg: (lo + hi) / 2, Max: hi, Mdev: (hi - lo) / 4}
}

// Sample draws one delay. A distribution without deviation consumes no
// randomness, so constant latencies leave the random stream to the faults.
func (d Dist) Sample(r *rand.Rand) time.Duration {
	if d.Mdev <= 0 || d.Max <= d.Min {
		return d.Avg
	}
	v := d.Avg + time.Duration(r.NormFloat64()*float64(d.Mdev))
	if v < d.Min {
		v = d.Min
	}
	if v > d.Max {
		v = d.Max
	}
	return v
}

// Half turns a round-trip distribution into a one-way one.
func (d Dist) Half() Dist {
	return Dist{Min: d.Min / 2, Avg: d.Avg / 2, Max: d.Max / 2, Mdev: d.Mdev / 2}
}

// Fixed drops the variation and keeps the average.
func (d Dist) Fixed() Dist { return Const(d.Avg) }

func (d Dist) String() string {
	if d.Mdev == 0 {
		return d.Avg.String()
	}
	return fmt.Sprintf("%v/%v/%v/%v", d.Min, d.Avg, d.Max, d.Mdev)
}

// Matrix holds the one-way delay between zones. Replica "z.n" lives in zone
// z, which is row and column z-1; the diagonal is the delay inside a zone,
// which is also the delay between a replica and its local clients.
type Matrix struct {
	// Names labels the zones for reports, e.g. "CA" or "us-west-1".
	Names []string
	// OneWay[i][j] is the delay of a message from zone i+1 to zone j+1.
	OneWay [][]Dist
}

// Zones is the number of zones the matrix covers.
func (m Matrix) Zones() int { return len(m.OneWay) }

// Between returns the delay distribution from zone a to zone b (1-based).
func (m Matrix) Between(a, b int) Dist { return m.OneWay[a-1][b-1] }

// Name returns the label of zone z (1-based), or "z<z>" when unnamed.
func (m Matrix) Name(z int) string {
	if z >= 1 && z <= len(m.Names) && m.Names[z-1] != "" {
		return m.Names[z-1]
	}
	return "z" + strconv.Itoa(z)
}

// Constant returns the matrix with every distribution replaced by its
// average, for runs where jitter would only blur a comparison.
func (m Matrix) Constant() Matrix {
	out := Matrix{Names: m.Names, OneWay: make([][]Dist, len(m.OneWay))}
	for i, row := range m.OneWay {
		out.OneWay[i] = make([]Dist, len(row))
		for j, d := range row {
			out.OneWay[i][j] = d.Fixed()
		}
	}
	return out
}

// LANDelay is the default one-way delay inside a data center.
var LANDelay = Uniformish(100*time.Microsecond, 200*time.Microsecond)

// LAN is a matrix of zones that all sit in one data center.
func LAN(zones int) Matrix {
	return Uniform(zones, LANDelay)
}

// Uniform is a matrix with the same delay between any two zones.
func Uniform(zones int, d Dist) Matrix {
	m := Matrix{OneWay: make([][]Dist, zones)}
	for i := range m.OneWay {
		m.OneWay[i] = make([]Dist, zones)
		for j := range m.OneWay[i] {
			m.OneWay[i][j] = d
		}
	}
	return m
}

// RTTs are measured round-trip times between named regions, as loaded from
// a data/latency directory: RTTs[from][to].
type RTTs map[string]map[string]Dist

// LoadRTTs reads a directory of ping summaries, one file per source region
// named <region>.dat, each line "min/avg/max/mdev:destination" in
// milliseconds (the format of data/latency/aws-2020-06-05).
func LoadRTTs(dir string) (RTTs, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.dat"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("latency: no .dat files in %s", dir)
	}
	out := RTTs{}
	for _, f := range files {
		from := strings.TrimSuffix(filepath.Base(f), ".dat")
		row, err := loadRTTFile(f)
		if err != nil {
			return nil, err
		}
		out[from] = row
	}
	return out, nil
}

func loadRTTFile(path string) (map[string]Dist, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	row := map[string]Dist{}
	sc := bufio.NewScanner(fh)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		d, to, err := ParseRTTLine(s)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, line, err)
		}
		row[to] = d
	}
	return row, sc.Err()
}

// ParseRTTLine parses one "min/avg/max/mdev:destination" line (milliseconds).
func ParseRTTLine(s string) (Dist, string, error) {
	stats, to, ok := strings.Cut(s, ":")
	if !ok || to == "" {
		return Dist{}, "", fmt.Errorf("want min/avg/max/mdev:destination, got %q", s)
	}
	parts := strings.Split(stats, "/")
	if len(parts) != 4 {
		return Dist{}, "", fmt.Errorf("want four numbers min/avg/max/mdev, got %q", stats)
	}
	var v [4]time.Duration
	for i, p := range parts {
		ms, err := strconv.ParseFloat(p, 64)
		if err != nil || ms < 0 || math.IsInf(ms, 0) || math.IsNaN(ms) {
			return Dist{}, "", fmt.Errorf("bad number %q in %q", p, stats)
		}
		v[i] = time.Duration(ms * float64(time.Millisecond))
	}
	d := Dist{Min: v[0], Avg: v[1], Max: v[2], Mdev: v[3]}
	if d.Min > d.Avg || d.Avg > d.Max {
		return Dist{}, "", fmt.Errorf("want min <= avg <= max, got %q", stats)
	}
	return d, to, nil
}

// Regions lists the regions that have a file, sorted.
func (t RTTs) Regions() []string {
	out := make([]string, 0, len(t))
	for r := range t {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Matrix builds the one-way delay matrix (half of each measured RTT) for the
// given regions; zone i+1 is regions[i]. Each direction uses the
// measurement taken from its own source region.
func (t RTTs) Matrix(regions ...string) (Matrix, error) {
	m := Matrix{Names: append([]string(nil), regions...), OneWay: make([][]Dist, len(regions))}
	for i, a := range regions {
		row, ok := t[a]
		if !ok {
			return Matrix{}, fmt.Errorf("latency: no measurements from region %q (have %v)", a, t.Regions())
		}
		m.OneWay[i] = make([]Dist, len(regions))
		for j, b := range regions {
			d, ok := row[b]
			if !ok {
				return Matrix{}, fmt.Errorf("latency: no measurement from %q to %q", a, b)
			}
			m.OneWay[i][j] = d.Half()
		}
	}
	return m, nil
}

// PaperSites names the five sites of the EPaxos paper's wide-area
// experiment, in the order the paper lists them, and PaperRegions maps them
// to the AWS regions of data/latency.
var (
	PaperSites   = []string{"CA", "VA", "EU", "OR", "JP"}
	PaperRegions = map[string]string{
		"CA": "us-west-1", "VA": "us-east-1", "EU": "eu-west-1", "OR": "us-west-2", "JP": "ap-northeast-1",
	}
)

// paperRTT is data/latency/aws-2020-06-05 restricted to PaperSites (min,
// avg, max, mdev in microseconds), built in so that tests in any package can
// use the wide-area matrix without finding the data directory. A test
// checks it against the files.
var paperRTT = [5][5][4]int64{
	{{116, 133, 359, 12}, {59834, 59912, 60704, 160}, {141120, 141152, 142142, 232}, {20986, 21129, 21796, 240}, {111570, 111696, 112142, 258}},
	{{59836, 59911, 60591, 304}, {239, 264, 733, 25}, {70459, 70508, 73658, 146}, {69164, 72501, 77173, 2425}, {152382, 152425, 152924, 454}},
	{{141107, 141142, 142106, 453}, {70463, 70501, 71153, 367}, {86, 113, 2204, 59}, {126841, 127279, 128197, 554}, {199294, 204431, 210627, 5546}},
	{{20978, 21124, 22689, 247}, {69164, 72504, 77826, 2440}, {126837, 127280, 134209, 677}, {276, 297, 1598, 47}, {100805, 100855, 102060, 387}},
	{{111552, 111696, 112360, 457}, {152381, 152424, 152765, 461}, {199265, 204446, 210591, 5557}, {100811, 100869, 109948, 245}, {80, 98, 358, 16}},
}

// WAN returns the one-way matrix of the first n paper sites (n <= 5): the
// paper runs three replicas at CA, VA, EU and five at all of them.
func WAN(n int) Matrix {
	if n < 1 || n > len(PaperSites) {
		panic(fmt.Sprintf("sim: WAN(%d): the paper has %d sites", n, len(PaperSites)))
	}
	m := Matrix{Names: append([]string(nil), PaperSites[:n]...), OneWay: make([][]Dist, n)}
	for i := 0; i < n; i++ {
		m.OneWay[i] = make([]Dist, n)
		for j := 0; j < n; j++ {
			v := paperRTT[i][j]
			m.OneWay[i][j] = Dist{
				Min: time.Duration(v[0]) * time.Microsecond, Avg: time.Duration(v[1]) * time.Microsecond,
				Max: time.Duration(v[2]) * time.Microsecond, Mdev: time.Duration(v[3]) * time.Microsecond,
			}.Half()
		}
	}
	return m
}
