package bot

import (
	"context"

	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/registry"
)

// visitState is what the visit flow knows besides the answers. The keys
// are those of the sessions saved before it was typed.
type visitState struct {
	CadreID      int64             `dialog:"cadre_id"`
	BusinessID   int64             `dialog:"business_id"`
	BusinessName string            `dialog:"business_name"`
	Category     registry.Category `dialog:"category"`
	Grade        registry.Grade    `dialog:"grade"`
	// Preselected is set when the business came with the start (a scanned
	// QR code): the business step is passed over.
	Preselected bool `dialog:"preselected"`
	// Listed is the businesses the business step numbered, so "2" picks
	// the second.
	Listed []int64 `dialog:"task_list"`
	// Distance is how far from the shop the cadre sent the location from,
	// in whole metres; nil when unknown. Far is set when that is too far.
	Distance *float64 `dialog:"distance"`
	Far      bool     `dialog:"far"`
	// SelfCheck is the line with the business's record counts since the
	// last visit and SelfCheckLink its ledger, set by selfCheckPrefill.
	SelfCheck     string `dialog:"selfcheck_counts"`
	SelfCheckLink string `dialog:"selfcheck_link"`
	// CoveredOn is set when the business was already covered this cycle
	// ("11月3日"), and CycleWord names the cycle ("本季度"): the report is
	// an extra visit, asked about first.
	CoveredOn string `dialog:"covered_on"`
	CycleWord string `dialog:"cycle_word"`
	// Picking is the name a one-message report gave that fits several
	// businesses: Listed holds them and the business step lists them.
	Picking string `dialog:"picking"`
	// Pending is a one-message report waiting for its business to be
	// picked before its checklist answers can be set.
	Pending string `dialog:"pending_report"`
	// Lat and Lng are the business's place, kept when it is chosen (Placed)
	// so the location turn measures the distance without reading it again.
	Lat    *float64 `dialog:"business_lat"`
	Lng    *float64 `dialog:"business_lng"`
	Placed bool     `dialog:"business_placed"`
	// listedNames are the names of Listed, for the menu of the same turn.
	listedNames []string
}

func visitOf(s *dialog.Session) *visitState { return dialog.StateOf[visitState](s) }

func (st *visitState) setBusiness(biz *registry.Business) {
	st.BusinessID, st.BusinessName, st.Category, st.Grade = biz.ID, biz.Name, biz.Category, biz.Grade
	st.Lat, st.Lng, st.Placed = biz.Latitude, biz.Longitude, true
}

// placeOf is what the distance needs of the chosen business: its place
// as kept, or read for a report started before it was kept.
func (b *Bot) placeOf(ctx context.Context, st *visitState) (registry.Business, error) {
	if st.Placed {
		return registry.Business{ID: st.BusinessID, Latitude: st.Lat, Longitude: st.Lng}, nil
	}
	biz, err := b.registry.Business(ctx, st.BusinessID)
	if err != nil {
		return registry.Business{}, err
	}
	return *biz, nil
}
