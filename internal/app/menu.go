package app

import (
	"os"

	"github.com/shianbao/shianbao/configs"
	"github.com/shianbao/shianbao/internal/wechat"
)

// LoadMenu reads and checks an Official Account menu: file, or
// configs/menu.json in the working directory, or the embedded one. Push
// it with Services.WeChat.SetMenu.
func LoadMenu(file string) ([]byte, error) {
	var data []byte
	var err error
	if file != "" {
		data, err = os.ReadFile(file)
	} else if data, err = os.ReadFile("configs/menu.json"); err != nil {
		data, err = configs.FS.ReadFile("menu.json")
	}
	if err != nil {
		return nil, err
	}
	if err := wechat.ValidateMenu(data); err != nil {
		return nil, err
	}
	return data, nil
}
