package pledge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// Limits on a drawn signature: a phone's canvas exported as PNG is a few
// kilobytes to some tens.
const (
	MaxSignatureBytes = 512 << 10
	maxSignatureSide  = 2400
	minSignatureSide  = 80
	// minInk is how many drawn pixels make a signature rather than an
	// empty box or a stray tap.
	minInk = 40
)

// Access is what a reader may do with a subject's pledge.
type Access struct {
	Reader  registry.Actor
	CanSign bool
}

// Authorize says whether reader may see a subject's pledge and sign it:
// a business's bound contacts sign its pledge and its cadre and the
// managers over it read it; a cadre signs its own, and managers over it
// read it. Forbidden for anyone else.
func (s *Service) Authorize(ctx context.Context, kind Kind, subjectID int64, reader registry.Actor) (Access, error) {
	who, id, ok := reader.Parse()
	if !ok {
		return Access{}, errs.E(errs.Forbidden, msgForbidden)
	}
	a := Access{Reader: reader}
	var regionID int64
	switch kind {
	case KindBusiness:
		b, err := s.reg.Business(ctx, subjectID)
		if err != nil {
			return Access{}, err
		}
		regionID = b.RegionID
		switch who {
		case "contact":
			c, err := s.accounts.Contact(ctx, id)
			if errs.Is(err, errs.NotFound) || (err == nil && c.BusinessID != subjectID) {
				return Access{}, errs.E(errs.Forbidden, msgForbidden)
			} else if err != nil {
				return Access{}, err
			}
			ids, err := s.accounts.IdentitiesOfSubject(ctx, account.RoleContact, c.ID)
			if err != nil {
				return Access{}, err
			}
			a.CanSign = len(ids) > 0 && b.Status != registry.StatusDeregistered
			return a, nil
		case "cadre":
			cur, err := s.reg.CurrentAssignment(ctx, subjectID)
			if err != nil && !errs.Is(err, errs.NotFound) {
				return Access{}, err
			}
			if cur != nil && cur.CadreID == id {
				return a, nil
			}
		}
	case KindCadre:
		c, err := s.reg.Cadre(ctx, subjectID)
		if err != nil {
			return Access{}, err
		}
		regionID = c.RegionID
		if who == "cadre" && id == subjectID {
			a.CanSign = c.Active
			return a, nil
		}
	default:
		return Access{}, errs.E(errs.NotFound, msgNotFound)
	}
	if who == "manager" {
		ok, err := s.reg.ManagerCovers(ctx, id, regionID)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return Access{}, err
		}
		if ok {
			return a, nil
		}
	}
	return Access{}, errs.E(errs.Forbidden, msgForbidden)
}

// Signature is what a signer gives: the name they sign with and either a
// drawn signature (PNG) or the same full name typed again as the
// signature where no canvas is available.
type Signature struct {
	Signer registry.Actor
	// IdentityID and OpenID are the WeChat identity the page was signed
	// in with (0 and "" where the link alone identified the reader).
	IdentityID int64
	OpenID     string
	Name       string
	PNG        []byte
	Typed      string
}

// check returns the signature's method, or Invalid saying what to fix.
func (sig *Signature) check() (string, error) {
	sig.Name = strings.TrimSpace(sig.Name)
	sig.Typed = strings.TrimSpace(sig.Typed)
	field := func(f, m string) error { return errs.InvalidFields(m, errs.FieldError{Field: f, Reason: m}) }
	switch {
	case sig.Name == "":
		return "", field("name", msgNameEmpty)
	case utf8.RuneCountInString(sig.Name) > 20:
		return "", field("name", msgNameLong)
	case len(sig.PNG) > 0 && sig.Typed != "":
		return "", field("signature", msgBothSignatures)
	case len(sig.PNG) > 0:
		return MethodDrawn, checkPNG(sig.PNG)
	case sig.Typed == "":
		return "", field("signature", msgNoSignature)
	case sig.Typed != sig.Name:
		return "", field("typed", msgTypedMismatch)
	}
	return MethodTyped, nil
}

// checkPNG accepts a PNG of a sensible size with some ink on it.
func checkPNG(data []byte) error {
	bad := errs.InvalidFields(msgSignatureBad, errs.FieldError{Field: "signature", Reason: msgSignatureBad})
	if len(data) > MaxSignatureBytes {
		return bad
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width < minSignatureSide || cfg.Height < minSignatureSide/2 || cfg.Width > maxSignatureSide || cfg.Height > maxSignatureSide {
		return bad
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return bad
	}
	if ink(img) < minInk {
		return errs.InvalidFields(msgSignatureBlank, errs.FieldError{Field: "signature", Reason: msgSignatureBlank})
	}
	return nil
}

// ink counts dark, opaque pixels: strokes on a white or transparent canvas.
func ink(img image.Image) int {
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, a := img.At(x, y).RGBA()
			if a > 0x8000 && (r+g+b)/3 < 0x9000 {
				n++
				if n >= minInk {
					return n
				}
			}
		}
	}
	return n
}

// Sign records a pledge signed by sig.Signer on the subject's current
// basis, stores a drawn signature in the media store first (content
// addressed: a repeat is stored once) and writes the audit entry in the
// pledge's transaction. Forbidden when the signer may not sign it;
// Invalid when the signature needs fixing; Conflict when the current
// basis is signed already (another contact, a double tap) — the signed
// pledge is returned with it.
func (s *Service) Sign(ctx context.Context, kind Kind, subjectID int64, sig Signature) (*Pledge, error) {
	acc, err := s.Authorize(ctx, kind, subjectID, sig.Signer)
	if err != nil {
		return nil, err
	}
	if !acc.CanSign {
		return nil, errs.E(errs.Forbidden, msgNotSigner)
	}
	method, err := sig.check()
	if err != nil {
		return nil, err
	}
	var key, sum string
	if method == MethodDrawn {
		h := sha256.Sum256(sig.PNG)
		sum = hex.EncodeToString(h[:])
		obj, err := s.media.Put(ctx, sum+".png", sig.PNG, "image/png")
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, err, msgSignatureStore)
		}
		key = obj.Key
	}
	var p *Pledge
	err = s.db.InTx(ctx, func(tx *gorm.DB) error {
		var err error
		p, err = s.signTx(tx, kind, subjectID, sig, method, key, sum, s.now(), true)
		return err
	})
	if errs.Is(err, errs.Conflict) {
		if p == nil || p.ID == 0 {
			p, _ = s.signedNow(ctx, kind, subjectID)
		}
		return p, err
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// signTx stores the pledge on the subject's current basis in tx, with its
// audit entry when audited; Conflict (with the pledge that stands) when it
// is signed already.
func (s *Service) signTx(tx *gorm.DB, kind Kind, subjectID int64, sig Signature, method, key, sum string, at time.Time, audited bool) (*Pledge, error) {
	r, err := s.requirementTx(tx, kind, subjectID)
	if err != nil {
		return nil, err
	}
	if r.Signed != nil {
		return r.Signed, errs.E(errs.Conflict, msgAlreadySigned, r.Signed.SignedAt.In(clock.China).Format("2006年1月2日"))
	}
	p := &Pledge{Kind: kind, SubjectID: subjectID, Year: r.Year, Version: r.Version, AssignmentID: r.AssignmentID,
		CadreID: r.CadreID, OfficeID: r.OfficeID, RegionID: r.RegionID, Basis: r.Basis(), Content: r.Content,
		Signer: sig.Signer, SignerName: sig.Name, Method: method, SignatureKey: key, SignatureSHA256: sum,
		IdentityID: sig.IdentityID, OpenID: sig.OpenID, SignedAt: at.UTC()}
	if err := tx.Create(p).Error; err != nil {
		if err = db.Translate(err); errs.Is(err, errs.Conflict) {
			return nil, errs.Wrap(errs.Conflict, err, fmt.Sprintf(msgAlreadySigned, at.In(clock.China).Format("2006年1月2日")))
		}
		return nil, fmt.Errorf("store pledge: %w", err)
	}
	if !audited {
		return p, nil
	}
	var rg registry.Region
	if err := tx.First(&rg, r.RegionID).Error; err != nil {
		return nil, fmt.Errorf("pledge region: %w", err)
	}
	// The signer as the register knows them ("contact:12"), so the log names
	// the person; the openid stays in the pledge itself.
	return p, audit.Record(tx, audit.Entry{At: p.SignedAt, Actor: string(sig.Signer), Action: "pledge.sign", SubjectType: string(kind),
		SubjectID: subjectID, ScopePath: rg.Path,
		Detail: fmt.Sprintf("签署%d年度《%s》（%s版，%s）", r.Year, r.Content.Title, r.Version, MethodLabel(method))})
}

// signedNow is the pledge on the current basis, after a race lost to
// another signer.
func (s *Service) signedNow(ctx context.Context, kind Kind, subjectID int64) (*Pledge, error) {
	r, err := s.Requirement(ctx, kind, subjectID)
	if err != nil {
		return nil, err
	}
	return r.Signed, nil
}

// SignaturePNG opens a pledge's drawn signature from the media store.
func (s *Service) SignaturePNG(ctx context.Context, p *Pledge) ([]byte, error) {
	if p.SignatureKey == "" {
		return nil, errs.E(errs.NotFound, msgNotFound)
	}
	rc, _, err := s.media.Open(ctx, p.SignatureKey)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(rc); err != nil {
		return nil, fmt.Errorf("read signature: %w", err)
	}
	return buf.Bytes(), nil
}
