package templates

import (
	"html/template"
	"sync"
)

// Sets are the parsed template sets, one per audience. Each is parsed
// once per process, with the page functions (funcs.go), the first time
// Load is called: a broken template stops the service from starting
// instead of failing a user's request later.
type Sets struct {
	// Console is the managers' console (console/).
	Console *template.Template
	// H5 is the pages opened from WeChat (h5/) with the documents they
	// and the console's print views show: prompt letters (letters/) and
	// knowledge cards (cards/).
	H5 *template.Template
	// Pages are the error pages every audience shares (pages/).
	Pages *template.Template
	// Sim is the development simulator (sim/).
	Sim *template.Template
}

// Load returns the parsed sets, parsing them on the first call.
var Load = sync.OnceValues(parse)

func parse() (*Sets, error) {
	var s Sets
	for _, set := range []struct {
		dst      **template.Template
		name     string
		patterns []string
	}{
		{&s.Console, "console", []string{"console/*.html"}},
		{&s.H5, "h5", []string{"h5/*.html", "letters/*.html", "cards/*.html"}},
		{&s.Pages, "pages", []string{"pages/*.html"}},
		{&s.Sim, "sim", []string{"sim/*.html"}},
	} {
		t, err := template.New(set.name).Funcs(funcs).ParseFS(FS, set.patterns...)
		if err != nil {
			return nil, err
		}
		*set.dst = t
	}
	return &s, nil
}
