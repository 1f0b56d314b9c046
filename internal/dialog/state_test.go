package dialog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/kv"
)

// tally is a typed flow state with a field of every supported kind.
type tally struct {
	ShopID int64    `dialog:"shop_id"`
	Name   string   `dialog:"name"`
	Far    bool     `dialog:"far"`
	Metres *float64 `dialog:"metres"`
	Count  int      `dialog:"count"`
	Listed []int64  `dialog:"listed"`
	Refs   []ref    `dialog:"refs"`
	// Scratch has no tag: it lives for one turn only.
	Scratch string
}

// ref stores itself as "id|name".
type ref struct {
	ID   int
	Name string
}

func (r ref) MarshalText() ([]byte, error) { return fmt.Appendf(nil, "%d|%s", r.ID, r.Name), nil }

func (r *ref) UnmarshalText(b []byte) error {
	_, err := fmt.Sscanf(string(b), "%d|%s", &r.ID, &r.Name)
	return err
}

func (t *tally) String() string {
	m := "nil"
	if t.Metres != nil {
		m = fmt.Sprint(*t.Metres)
	}
	return fmt.Sprintf("shop=%d name=%q far=%v metres=%s count=%d listed=%v refs=%v scratch=%q",
		t.ShopID, t.Name, t.Far, m, t.Count, t.Listed, t.Refs, t.Scratch)
}

func tallyFlow() *dialog.Flow {
	show := func(_ context.Context, s *dialog.Session) (string, error) {
		return dialog.StateOf[tally](s).String(), nil
	}
	return &dialog.Flow{
		Name:  "tally",
		Label: func(s *dialog.Session) string { return dialog.StateOf[tally](s).Name },
		Steps: func(context.Context, *dialog.Session) ([]dialog.Step, error) {
			return []dialog.Step{
				{Key: "name", Kind: dialog.KindText, Prompt: show,
					Validate: func(_ context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
						st := dialog.StateOf[tally](s)
						zero := 0.0
						st.Name, st.Metres, st.Scratch = v.Text, &zero, "gone next turn"
						st.Count++
						return v, "", nil
					}},
				{Key: "far", Kind: dialog.KindYesNo, Prompt: show,
					Validate: func(_ context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
						dialog.StateOf[tally](s).Far = v.Bool
						return v, "", nil
					}},
			}, nil
		},
		Submit: func(_ context.Context, s *dialog.Session) (dialog.Reply, error) {
			return dialog.Reply{Text: dialog.StateOf[tally](s).String()}, nil
		},
	}
}

func storedData(t *testing.T, store kv.Store, user string) map[string]string {
	t.Helper()
	raw, err := store.Get(context.Background(), "dlg:s:"+user)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		D map[string]string `json:"d"`
	}
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatal(err)
	}
	return s.D
}

func TestTypedStateKeptAcrossTurnsAndRestarts(t *testing.T) {
	ctx := context.Background()
	store := kv.NewMemory()
	t.Cleanup(func() { store.Close() })
	clk := clock.NewFixed(t0)
	engine := func() *dialog.Engine { return dialog.New(dialog.Options{KV: store, Clock: clk}, tallyFlow()) }

	r, err := engine().Start(ctx, "u1", "tally", &tally{ShopID: 7, Listed: []int64{3, 5}, Refs: []ref{{1, "甲"}, {2, "乙"}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `shop=7 name="" far=false metres=nil count=0 listed=[3 5] refs=[{1 甲} {2 乙}] scratch=""`; r.Text != want {
		t.Fatalf("first prompt\n got %s\nwant %s", r.Text, want)
	}
	r, _, err = engine().Handle(ctx, "u1", dialog.Input{Text: "阿明面馆"})
	if err != nil {
		t.Fatal(err)
	}
	// The next prompt in the same turn sees the same state, untagged
	// fields too.
	if want := `shop=7 name="阿明面馆" far=false metres=0 count=1 listed=[3 5] refs=[{1 甲} {2 乙}] scratch="gone next turn"`; strings.Split(r.Text, "\n")[0] != want {
		t.Fatalf("second prompt\n got %s\nwant %s", r.Text, want)
	}
	// Stored in the form sessions had before typed state: one string a
	// field, zero values left out, a known zero kept through the pointer.
	want := map[string]string{"shop_id": "7", "name": "阿明面馆", "metres": "0", "count": "1", "listed": "3,5", "refs": "1|甲,2|乙"}
	if got := storedData(t, store, "u1"); !maps.Equal(got, want) {
		t.Fatalf("stored data\n got %v\nwant %v", got, want)
	}
	if _, label, ok, err := engine().Active(ctx, "u1"); err != nil || !ok || label != "阿明面馆" {
		t.Fatalf("Active = %q %v %v", label, ok, err)
	}
	// A new engine each turn, as after a restart: only what was stored
	// counts.
	r, _, err = engine().Handle(ctx, "u1", dialog.Input{Text: "是"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `shop=7 name="阿明面馆" far=true metres=0 count=1 listed=[3 5] refs=[{1 甲} {2 乙}] scratch=""`; !r.Done || r.Text != want {
		t.Fatalf("submitted\n got %s (done %v)\nwant %s", r.Text, r.Done, want)
	}
}

// A session saved before the flow had a typed state keeps its values as
// strings in Data (the version before wrote them with strconv); they read
// back into the typed fields, and one that does not parse reads as zero,
// as strconv's ignored error gave before.
func TestTypedStateReadsSessionOfEarlierVersion(t *testing.T) {
	ctx := context.Background()
	store := kv.NewMemory()
	t.Cleanup(func() { store.Close() })
	clk := clock.NewFixed(t0)
	e := dialog.New(dialog.Options{KV: store, Clock: clk}, tallyFlow())
	old := map[string]any{
		"id": "OLD", "u": "u1", "f": "tally", "t": t0,
		"a": map[string]any{"name": map[string]any{"t": "好又多"}},
		"d": map[string]string{"shop_id": "12", "name": "好又多", "far": "", "metres": "1500", "count": "x",
			"listed": "4,,9", "refs": "3|丙"},
		"s": map[string]any{"cur": "far", "hist": []string{"name"}, "exp": t0.Add(10 * time.Minute)},
	}
	raw, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Set(ctx, "dlg:s:u1", string(raw), time.Hour); err != nil {
		t.Fatal(err)
	}
	r, _, err := e.Handle(ctx, "u1", dialog.Input{Text: "否"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `shop=12 name="好又多" far=false metres=1500 count=0 listed=[4 9] refs=[{3 丙}] scratch=""`; r.Text != want {
		t.Fatalf("submitted\n got %s\nwant %s", r.Text, want)
	}
}

type badState struct {
	Ratio float32 `dialog:"ratio"`
}

// hiddenState is tagged but unexported, which StateOf refuses.
type hiddenState struct {
	id int64 `dialog:"id"` //lint:ignore U1000 only StateOf looks at it, and refuses it
}

func TestTypedStateRefusesWhatItCannotStore(t *testing.T) {
	store := kv.NewMemory()
	t.Cleanup(func() { store.Close() })
	e := dialog.New(dialog.Options{KV: store, Clock: clock.NewFixed(t0)}, tallyFlow())
	if _, err := e.Start(context.Background(), "u1", "tally", tally{}); err == nil || !strings.Contains(err.Error(), "pointer to a struct") {
		t.Fatalf("Start with a struct value: %v", err)
	}
	for name, fn := range map[string]func(*dialog.Session){
		"unsupported type": func(s *dialog.Session) { dialog.StateOf[badState](s) },
		"unexported field": func(s *dialog.Session) { dialog.StateOf[hiddenState](s) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			fn(&dialog.Session{})
		})
	}
}
