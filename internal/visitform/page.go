package visitform

import (
	"time"

	"github.com/shianbao/shianbao/internal/registry"
)

// Page is what the page shows: the business, its whole checklist and
// the report as far as it is filled, wherever that was.
type Page struct {
	// Conv is the conversation (draft) the page fills; "" before the
	// first save when the chat has none for this business.
	Conv     string
	Business registry.Business
	Items    []PageItem
	Form     Form
	// Other names the report the chat holds for another business, which
	// filling this one would replace.
	Other string
	// Letters is set when the business can be sent a prompt letter.
	Letters      bool
	DeadlineDays int
	Today        time.Time
	// Problems are answers refused, Missing what is still to fill (only
	// after a submit).
	Problems []Problem
	Missing  []Problem
	// Done is set once the report is stored (here or in the chat).
	Done *Done
}

// PageItem is a checklist item as the page lists it.
type PageItem struct {
	N             int
	ID, Label     string
	PhotoExpected bool
}

// Done is the stored report.
type Done struct {
	VisitID int64
	// Receipt is the chat's receipt, when this submit stored it.
	Receipt string
}

// Request is one post of the page.
type Request struct {
	Conv    string
	Form    Form
	Replace bool
	Submit  bool
}
