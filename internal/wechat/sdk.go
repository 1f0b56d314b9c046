package wechat

import (
	"io"
	"sync"

	"github.com/sirupsen/logrus"
)

var quietOnce sync.Once

// quietSDK keeps the SDK's logrus output (which includes raw messages with
// personal data at debug level) out of the service's logs. logrus is a
// process global, so this is done once for every user of the SDK.
func quietSDK() {
	quietOnce.Do(func() {
		logrus.SetOutput(io.Discard)
		logrus.SetLevel(logrus.ErrorLevel)
	})
}
