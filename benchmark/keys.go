package benchmark

import (
	"bytes"
	"math"
	"math/rand"
	"strconv"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// generator picks the commands of one client.
type generator struct {
	w      Workload
	dist   string
	rnd    *rand.Rand
	zipf   *rand.Zipf
	client int
	seq    int
	order  int    // the order and conflict distributions' counter
	own    string // this client's private key (epaxos)
	hot    string // the shared key (epaxos)
	names  []string
	pad    string
	start  time.Time // for the moving normal distribution
	prefix string    // "v-<client>-"
	buf    []byte    // where a value is put together: one allocation per value
}

// keyNames formats the key space once, so that a command costs no key
// formatting; nil for spaces too large to keep.
func keyNames(w Workload) []string {
	if w.distribution() == "epaxos" || w.Keys > 1<<20 {
		return nil
	}
	names := make([]string, w.Keys)
	for i := range names {
		names[i] = keyName(w, w.MinKey+i)
	}
	return names
}

// keyName is key i, padded with zeros to KeySize.
func keyName(w Workload, i int) string { return padKey(w, "k"+strconv.Itoa(i)) }

func padKey(w Workload, k string) string {
	if len(k) < w.KeySize {
		k += string(bytes.Repeat([]byte{'0'}, w.KeySize-len(k)))
	}
	return k
}

// runTag makes a client's private key unique across load-generator
// processes: several bin/client processes (one per site, say) number their
// clients from 0 alike, and private keys named by that number alone would
// be shared, turning a 0% conflict load into a 100% one.
var runTag = strconv.FormatUint(uint64(rand.New(rand.NewSource(time.Now().UnixNano())).Uint32()), 36)

func newGenerator(w Workload, client int, names []string) *generator {
	pad := ""
	if w.ValueSize > 0 {
		pad = string(bytes.Repeat([]byte{'x'}, w.ValueSize))
	}
	g := &generator{w: w, dist: w.distribution(), rnd: rand.New(rand.NewSource(w.Seed*7919 + int64(client))), client: client,
		own: padKey(w, "c"+runTag+"-"+strconv.Itoa(client)), hot: padKey(w, "hot"), names: names, pad: pad, start: time.Now(),
		prefix: "v-" + strconv.Itoa(client) + "-"}
	if g.dist == "zipfian" {
		g.zipf = rand.NewZipf(g.rnd, w.ZipfianS, w.ZipfianV, uint64(w.Keys-1))
	}
	return g
}

// keyIndex draws the next key of a Paxi distribution, as an offset in
// 0..Keys-1 from MinKey (conflict's shared key is -MinKey: key 0, as in
// Paxi).
func (g *generator) keyIndex() int {
	k := g.w.Keys
	switch g.dist {
	case "order":
		g.order = (g.order + 1) % k
		return g.order
	case "conflict":
		if g.rnd.Float64()*100 < g.w.Conflicts {
			return -g.w.MinKey
		}
		g.order = (g.order + 1) % k
		return g.order
	case "normal":
		mu := g.w.Mu
		if g.w.Move {
			mu += float64(time.Since(g.start) / g.w.Speed.D())
		}
		return mod(int(math.Floor(g.rnd.NormFloat64()*g.w.Sigma+mu)), k)
	case "zipfian":
		return int(g.zipf.Uint64())
	case "exponential":
		return mod(int(g.rnd.ExpFloat64()/g.w.Lambda), k)
	}
	return g.rnd.Intn(k) // uniform
}

func mod(a, k int) int { return ((a % k) + k) % k }

func (g *generator) key() string {
	if g.dist == "epaxos" {
		if g.rnd.Float64()*100 < g.w.Conflicts {
			return g.hot
		}
		return g.own
	}
	i := g.keyIndex()
	if i >= 0 && i < len(g.names) {
		return g.names[i]
	}
	return keyName(g.w, g.w.MinKey+i)
}

// next returns the next command; written values are unique so that a
// recorded history can be checked.
func (g *generator) next() paxi.Command {
	g.seq++
	key := g.key()
	if g.rnd.Float64() < g.w.Writes {
		b := strconv.AppendInt(append(g.buf[:0], g.prefix...), int64(g.seq), 10)
		if len(b) < len(g.pad) {
			b = append(b, g.pad[len(b):]...)
		}
		g.buf = b
		return paxi.Command{Op: paxi.Put, Key: key, Value: string(b)}
	}
	return paxi.Command{Op: paxi.Get, Key: key}
}
