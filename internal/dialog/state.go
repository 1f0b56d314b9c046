package dialog

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// A flow keeps what it learns along the way besides the answers (the
// chosen business, the list a prompt numbered, how far the shop was) in a
// typed state: a struct whose exported fields carry `dialog:"key"` tags.
// Steps reach it with StateOf and change it in place; Start takes it
// pre-filled; the engine saves it with the session.
//
// It is stored in Session.Data, one string per field under its key: the
// form every session had before flows were typed. So a session or draft
// saved by an earlier version resumes with its values, and a version
// rolled back reads the sessions of this one.
//
// Field types: strings, bools ("1" when true), integers, float64, types
// with MarshalText and UnmarshalText, pointers to those (nil is absent,
// so a pointer tells 0 from unknown), and slices of those (joined by
// commas, so their elements must not contain one). Zero values are left
// out of Data. A stored value that does not parse reads as the zero
// value, as a missing one does.

// stateTag is the struct tag naming a state field's key in Session.Data.
const stateTag = "dialog"

var (
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// StateOf returns the flow's typed state of the session, read from
// Session.Data on first use. Changes to it are saved with the session.
// It panics when T is not a struct of supported tagged fields, which is a
// programming error.
func StateOf[T any](s *Session) *T {
	if p, ok := s.state.(*T); ok {
		return p
	}
	s.flushState()
	p := new(T)
	decodeState(s.Data, reflect.ValueOf(p).Elem())
	s.state = p
	return p
}

// setState sets the session's typed state, e.g. from Start; v must be a
// pointer to a struct of tagged fields.
func (s *Session) setState(v any) error {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("dialog state must be a pointer to a struct, not %T", v)
	}
	s.state = v
	s.flushState()
	return nil
}

// flushState writes the typed state back into Data.
func (s *Session) flushState() {
	if s.state == nil {
		return
	}
	if s.Data == nil {
		s.Data = make(map[string]string)
	}
	encodeState(reflect.ValueOf(s.state).Elem(), s.Data)
}

// stateFields visits the tagged fields of struct v.
func stateFields(v reflect.Value, fn func(key string, f reflect.Value)) {
	t := v.Type()
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("dialog: state %s is not a struct", t))
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		key := sf.Tag.Get(stateTag)
		if key == "" {
			continue
		}
		if !sf.IsExported() {
			panic(fmt.Sprintf("dialog: state field %s.%s is tagged but not exported", t, sf.Name))
		}
		fn(key, v.Field(i))
	}
}

func encodeState(v reflect.Value, data map[string]string) {
	stateFields(v, func(key string, f reflect.Value) {
		if text, ok := encodeValue(f); ok {
			data[key] = text
		} else {
			delete(data, key)
		}
	})
}

func decodeState(data map[string]string, v reflect.Value) {
	stateFields(v, func(key string, f reflect.Value) {
		if text := data[key]; text != "" {
			decodeValue(f, text)
		} else {
			// Still check the field's type, so an unsupported one fails
			// on first use rather than on the first value.
			encodeValue(f)
		}
	})
}

// encodeValue returns the stored form of v; ok is false when v is its
// zero value (nil, for a pointer) and is left out.
func encodeValue(v reflect.Value) (string, bool) {
	if v.Type().Implements(textMarshaler) {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return "", false
		}
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			panic(fmt.Sprintf("dialog: encode state %s: %v", v.Type(), err))
		}
		return string(b), len(b) > 0
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return "", false
		}
		text, _ := encodeScalar(v.Elem())
		return text, true
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i], _ = encodeScalar(v.Index(i))
		}
		return strings.Join(parts, ","), len(parts) > 0
	}
	return encodeScalar(v)
}

func encodeScalar(v reflect.Value) (string, bool) {
	if v.Type().Implements(textMarshaler) {
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			panic(fmt.Sprintf("dialog: encode state %s: %v", v.Type(), err))
		}
		return string(b), len(b) > 0
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), v.Len() > 0
	case reflect.Bool:
		if v.Bool() {
			return "1", true
		}
		return "", false
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), v.Int() != 0
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64), v.Float() != 0
	}
	panic(fmt.Sprintf("dialog: state field type %s is not supported", v.Type()))
}

// decodeValue sets v from its stored form.
func decodeValue(v reflect.Value, text string) {
	if reflect.PointerTo(v.Type()).Implements(textUnmarshaler) && v.Kind() != reflect.Pointer {
		decodeScalar(v, text)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if decodeScalar(p.Elem(), text) {
			v.Set(p)
		}
	case reflect.Slice:
		parts := strings.Split(text, ",")
		s := reflect.MakeSlice(v.Type(), 0, len(parts))
		for _, part := range parts {
			e := reflect.New(v.Type().Elem()).Elem()
			if decodeScalar(e, part) {
				s = reflect.Append(s, e)
			}
		}
		v.Set(s)
	default:
		decodeScalar(v, text)
	}
}

// decodeScalar sets v from text and reports whether it parsed; v is left
// as it was when it did not.
func decodeScalar(v reflect.Value, text string) bool {
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		return u.UnmarshalText([]byte(text)) == nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(text)
	case reflect.Bool:
		v.SetBool(text != "")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(text, 10, v.Type().Bits())
		if err != nil {
			return false
		}
		v.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return false
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("dialog: state field type %s is not supported", v.Type()))
	}
	return true
}
