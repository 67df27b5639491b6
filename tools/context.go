package tools

import (
	"context"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// getMeInput takes no arguments.
type getMeInput struct{}

// User is the signed-in GitHub user, as get_me returns it.
type User struct {
	Login       string `json:"login" jsonschema:"GitHub login (username). It can change; id cannot."`
	ID          int64  `json:"id" jsonschema:"Numeric GitHub user ID (stable)."`
	Name        string `json:"name,omitempty" jsonschema:"Display name, when set."`
	Email       string `json:"email,omitempty" jsonschema:"Public email address, when set and visible to the token."`
	Company     string `json:"company,omitempty" jsonschema:"Company, when set."`
	Location    string `json:"location,omitempty" jsonschema:"Location, when set."`
	Bio         string `json:"bio,omitempty" jsonschema:"Profile bio, when set."`
	HTMLURL     string `json:"html_url" jsonschema:"Profile page on GitHub."`
	AvatarURL   string `json:"avatar_url,omitempty" jsonschema:"Avatar image URL."`
	PublicRepos int    `json:"public_repos" jsonschema:"Number of public repositories."`
	Followers   int    `json:"followers" jsonschema:"Number of followers."`
	Following   int    `json:"following" jsonschema:"Number of users followed."`
	CreatedAt   string `json:"created_at,omitempty" jsonschema:"When the account was created (RFC 3339, UTC)."`
}

func (ts *toolset) getMe() serverTool {
	return newTool(ts, ToolsetContext, &mcp.Tool{
		Name:  "get_me",
		Title: "Get my GitHub user profile",
		Description: "Get details of the GitHub user you are signed in as (login, name, profile). " +
			"Use it when a request mentions \"me\" or \"my\", or to learn the login for other tools.",
		Annotations:  readOnly("Get my GitHub user profile"),
		InputSchema:  inputSchema[getMeInput](),
		OutputSchema: outputSchema[User](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, _ getMeInput) (*mcp.CallToolResult, User, error) {
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, User{}, err
		}
		u, _, err := gh.Users.Get(ctx, "")
		if err != nil {
			return nil, User{}, ts.apiError(err, target{what: "your GitHub user"})
		}
		if u == nil {
			return nil, User{}, &toolError{msg: "GitHub answered without your user; retry shortly"}
		}
		return nil, toUser(u), nil
	})
}

func toUser(u *github.User) User {
	return User{
		Login:       u.GetLogin(),
		ID:          u.GetID(),
		Name:        u.GetName(),
		Email:       u.GetEmail(),
		Company:     u.GetCompany(),
		Location:    u.GetLocation(),
		Bio:         u.GetBio(),
		HTMLURL:     u.GetHTMLURL(),
		AvatarURL:   u.GetAvatarURL(),
		PublicRepos: u.GetPublicRepos(),
		Followers:   u.GetFollowers(),
		Following:   u.GetFollowing(),
		CreatedAt:   timestamp(u.CreatedAt),
	}
}
