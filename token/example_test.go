package token_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/onenet-wasm/onenet-wasm/token"
)

func ExampleGenerate() {
	res, _ := token.Resource("469948", "Chic_D")
	tok, err := token.Generate(token.Params{
		Res:    res,
		Key:    "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U=",
		ET:     1673053248,
		Method: token.SHA1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok)
	// Output: version=2018-10-31&res=products%2F469948%2Fdevices%2FChic_D&et=1673053248&method=sha1&sign=prIMDQ23WFI6PMj2IWpaRJJL4eE%3D
}

func ExampleVerify() {
	tok := "version=2018-10-31&res=products%2F469948%2Fdevices%2FChic_D&et=1673053248&method=sha1&sign=prIMDQ23WFI6PMj2IWpaRJJL4eE%3D"
	_, err := token.Verify(tok, "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U=", token.VerifyOptions{
		Now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	fmt.Println(err)
	fmt.Println(errors.Is(err, token.ErrExpired), token.CodeOf(err))
	// Output:
	// token: et: expired at 2023-01-07 01:00:48 UTC
	// true 1104
}

func ExampleParse() {
	t, err := token.Parse("version=2018-10-31&res=products%2F469948&et=1700000000&method=sha1&sign=XHOwQz1xpylmkY2dUws6%2BZWLxdk%3D")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.Res, t.Method, t.Expires())
	// Output: products/469948 sha1 2023-11-14 22:13:20 +0000 UTC
}
