package gmail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

const defaultTokenURL = "https://oauth2.googleapis.com/token"

// authorizedUser is the "authorized_user" credentials JSON written by gcloud
// and by OAuth consent helpers.
type authorizedUser struct {
	Type         string    `json:"type"`
	ClientID     string    `json:"client_id"`
	ClientSecret string    `json:"client_secret"`
	RefreshToken string    `json:"refresh_token"`
	AccessToken  string    `json:"access_token"`
	TokenURI     string    `json:"token_uri"`
	Expiry       time.Time `json:"expiry"`
}

// HTTPClientFromTokenFile returns an HTTP client that authorises requests with
// the OAuth2 authorized-user credentials in the JSON file at path (client_id,
// client_secret, refresh_token; optional access_token, expiry, token_uri). The
// access token is refreshed as needed through ctx, which should live as long as
// the client. Errors name the file and the missing fields, never their values.
func HTTPClientFromTokenFile(ctx context.Context, path string) (*http.Client, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gmail: read token file: %w", err)
	}
	var cred authorizedUser
	if err := json.Unmarshal(data, &cred); err != nil {
		// json errors quote at most a character or a field name, not values,
		// but say only where the problem is to be safe.
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("gmail: token file %s is not valid JSON (offset %d)", path, se.Offset)
		}
		return nil, fmt.Errorf("gmail: token file %s does not have the authorized-user shape", path)
	}
	if cred.Type != "" && cred.Type != "authorized_user" {
		return nil, fmt.Errorf("gmail: token file %s has type %q, want authorized_user", path, cred.Type)
	}
	var missing []string
	if cred.ClientID == "" {
		missing = append(missing, "client_id")
	}
	if cred.ClientSecret == "" {
		missing = append(missing, "client_secret")
	}
	if cred.RefreshToken == "" && cred.AccessToken == "" {
		missing = append(missing, "refresh_token")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("gmail: token file %s lacks %s", path, strings.Join(missing, ", "))
	}
	tokenURL := cred.TokenURI
	if tokenURL == "" {
		tokenURL = defaultTokenURL
	}
	conf := &oauth2.Config{
		ClientID:     cred.ClientID,
		ClientSecret: cred.ClientSecret,
		Endpoint:     oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
	tok := &oauth2.Token{AccessToken: cred.AccessToken, RefreshToken: cred.RefreshToken, Expiry: cred.Expiry}
	if cred.AccessToken == "" {
		tok.Expiry = time.Unix(1, 0) // force a refresh on first use
	}
	return oauth2.NewClient(ctx, conf.TokenSource(ctx, tok)), nil
}
