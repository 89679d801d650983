package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// issuer is the "iss" claim of every token.
const issuer = "lakesoul-flight"

// keyLabel separates the token signing key from other uses of the secret
// (such as ticket signing): the key is HMAC-SHA256(secret, keyLabel).
const keyLabel = "lakesoul-flight auth token v1"

func deriveKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(keyLabel))
	return m.Sum(nil)
}

// Issue returns a signed token for user, valid for Config.TokenTTL.
func (a *Authenticator) Issue(user string) (string, error) {
	if user == "" {
		return "", errors.New("auth: cannot issue a token for an empty user")
	}
	now := a.cfg.Now()
	claims := jwt.RegisteredClaims{
		Issuer:    issuer,
		Subject:   user,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(a.cfg.TokenTTL)),
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(a.key)
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return tok, nil
}

// Verify checks a token's signature, issuer and expiry and returns its user.
// Errors wrap ErrTokenExpired or ErrInvalidToken.
func (a *Authenticator) Verify(token string) (string, error) {
	var claims jwt.RegisteredClaims
	_, err := a.parser.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return a.key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "", ErrTokenExpired
	case err != nil:
		return "", fmt.Errorf("%w: %v", ErrInvalidToken, err)
	case claims.Subject == "":
		return "", fmt.Errorf("%w: no subject", ErrInvalidToken)
	}
	return claims.Subject, nil
}

func newParser(a *Authenticator) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(a.cfg.Now),
	)
}
