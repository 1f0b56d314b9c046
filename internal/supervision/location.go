package supervision

import (
	"math"

	"github.com/shianbao/shianbao/internal/registry"
)

// Location is where a report was sent from, as WeChat gives it.
type Location struct {
	Lat, Lng float64
	Label    string
}

const earthRadiusM = 6_371_008.8

// Distance is how far loc is from the business's registered coordinates
// (great-circle, haversine) and whether that is beyond the rules' far
// setting. ok is false when the business has no coordinates. A far report
// is flagged for the office, never refused: cadres do report from the
// village office after a visit.
func (s *Service) Distance(b registry.Business, loc Location) (meters float64, far bool, ok bool) {
	if b.Latitude == nil || b.Longitude == nil {
		return 0, false, false
	}
	m := haversine(*b.Latitude, *b.Longitude, loc.Lat, loc.Lng)
	return m, m > s.rules.FarMeters, true
}

func haversine(lat1, lng1, lat2, lng2 float64) float64 {
	rad := math.Pi / 180
	dLat, dLng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(a)))
}

func (l Location) valid() bool {
	return !math.IsNaN(l.Lat) && !math.IsNaN(l.Lng) && l.Lat >= -90 && l.Lat <= 90 && l.Lng >= -180 && l.Lng <= 180
}
