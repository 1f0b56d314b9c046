package registry

import (
	"regexp"
	"strings"
)

// creditAlphabet is the unified social credit code alphabet (GB 32100-2015):
// digits and capitals without I, O, S, V, Z.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CheckCreditCode explains what is wrong with a unified social credit code,
// or returns "" when it is valid.
func CheckCreditCode(code string) string {
	if len(code) != 18 {
		return msgCreditCodeLength
	}
	sum := 0
	for i := 0; i < 18; i++ {
		v := strings.IndexByte(creditAlphabet, code[i])
		if v < 0 {
			return msgCreditCodeChars
		}
		if i < 17 {
			sum += v * creditWeights[i]
		}
	}
	if code[17] != creditCheckChar(sum) {
		return msgCreditCodeCheck
	}
	return ""
}

// CreditCheckChar computes the 18th character for the first 17.
func CreditCheckChar(first17 string) byte {
	sum := 0
	for i := 0; i < 17 && i < len(first17); i++ {
		sum += strings.IndexByte(creditAlphabet, first17[i]) * creditWeights[i]
	}
	return creditCheckChar(sum)
}

func creditCheckChar(sum int) byte {
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return creditAlphabet[c]
}

var licencePattern = regexp.MustCompile(`^(JY|SC)\d{14}$`)

// CheckLicenceNo explains what is wrong with a food business (JY) or
// production (SC) licence number, or returns "" when it is well formed.
func CheckLicenceNo(no string) string {
	if !licencePattern.MatchString(no) {
		return msgBadLicence
	}
	return ""
}

// NormalizeCode upper-cases and strips spaces, which people add when copying
// codes from licences.
func NormalizeCode(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

var (
	mobilePattern   = regexp.MustCompile(`^1[3-9]\d{9}$`)
	landlinePattern = regexp.MustCompile(`^0\d{2,3}-?\d{7,8}(-\d{1,6})?$`)
)

// CheckPhone explains what is wrong with a phone number, or returns "".
// An empty number is allowed where the field is optional.
func CheckPhone(p string) string {
	if p == "" || mobilePattern.MatchString(p) || landlinePattern.MatchString(p) {
		return ""
	}
	return msgBadPhone
}

// NormalizePhone strips spaces and a +86 prefix.
func NormalizePhone(p string) string {
	p = strings.Join(strings.Fields(p), "")
	p = strings.TrimPrefix(p, "+86")
	return strings.TrimPrefix(p, "86-")
}

// MaskPhone hides the middle of a personal number: 138****5678. Used in logs
// and on the public card, where only the cadre's work line is shown in full.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) < 7 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}
