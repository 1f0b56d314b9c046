package api_test

import (
	"os"
	"testing"

	"github.com/shianbao/shianbao/internal/db/dbtest"
)

// The API's tests boot the real app (internal/web/webtest) and drive
// it as a script does.

// TestMain drops the MySQL template of the demo district after the tests.
func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
