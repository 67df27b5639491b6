package fakegithub

import "time"

// seedEpoch anchors the demo data's timestamps so they do not move between
// runs.
var seedEpoch = time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC)

func day(n int) time.Time { return seedEpoch.Add(time.Duration(n) * 24 * time.Hour) }

// seed loads the demo data: two users, four repositories (one private),
// labels, issues with comments and pull requests, and an organisation. f.mu need not be held:
// seed runs inside New before the fake is shared.
func (f *Fake) seed() {
	f.addUser(User{ID: 1001, Login: "mona", Name: "Mona Lisa Octocat", Email: "mona@example.com"})
	f.addUser(User{ID: 1002, Login: "hubot", Name: "Hubot", Email: "hubot@example.com", EmailPrivate: true})
	if err := f.addOrg(Org{
		Login:   "octo-org",
		Members: []string{"mona"},
		Pending: []string{"hubot"},
		Teams:   map[string][]string{"maintainers": {"mona"}},
	}); err != nil {
		panic(err) // the seed data is fixed: a failure is a bug in this file
	}

	hello := f.mustRepo(Repo{
		Owner:       "mona",
		Name:        "hello-world",
		Description: "My first repository on GitHub: a tiny greeter written in Go",
		Language:    "Go",
		Topics:      []string{"example", "greeter", "go"},
		Files: map[string]string{
			"README.md":            "# hello-world\n\nA tiny greeter.\n\n```sh\ngo run . # Hello, World!\nNAME=Mona go run . # Hello, Mona!\n```\n\nSee [docs/getting-started.md](docs/getting-started.md).\n",
			"main.go":              "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tname := os.Getenv(\"NAME\")\n\tif name == \"\" {\n\t\tname = \"World\"\n\t}\n\tfmt.Printf(\"Hello, %s!\\n\", name)\n}\n",
			"go.mod":               "module github.com/mona/hello-world\n\ngo 1.26\n",
			"docs/images/logo.txt": "  _          _ _\n | |__   ___| | | ___\n | '_ \\ / _ \\ | |/ _ \\\n | | | |  __/ | | (_) |\n |_| |_|\\___|_|_|\\___/\n",
		},
	}, day(0))
	hello.stars, hello.forks = 42, 7
	hello.labels = []*label{
		{id: f.newID(), name: "bug", color: "d73a4a", description: "Something isn't working"},
		{id: f.newID(), name: "documentation", color: "0075ca", description: "Improvements or additions to documentation"},
		{id: f.newID(), name: "enhancement", color: "a2eeef", description: "New feature or request"},
		{id: f.newID(), name: "good first issue", color: "7057ff", description: "Good for newcomers"},
	}
	f.seedIssue(hello, &issue{
		title: "Add a getting-started guide", author: "hubot", labels: []string{"documentation"},
		body:  "New contributors do not know how to run the greeter. A short guide in docs/ would help.",
		state: "closed", stateReason: "completed", created: day(1), closed: day(3),
	}, "I can write one this week.", "Done in docs/getting-started.md, thanks!")
	f.seedIssue(hello, &issue{
		title: "Greeting ignores NAME when it only contains spaces", author: "hubot", labels: []string{"bug"},
		body:  "Steps to reproduce:\n\n```sh\nNAME='  ' go run .\n```\n\nExpected `Hello, World!`, got `Hello,   !`.",
		state: "open", created: day(5),
	}, "Confirmed on main. Trimming the variable should fix it.")
	f.seedIssue(hello, &issue{
		title: "Trim NAME before greeting", author: "hubot", labels: []string{"bug"},
		body:  "Fixes #2.\n\nTrims surrounding spaces from NAME and falls back to World when nothing is left.",
		state: "open", created: day(6), assignees: []string{"mona"},
		pull: &pull{head: "fix-blank-name", base: "main"},
	})
	f.seedIssue(hello, &issue{
		title: "Support a --shout flag", author: "mona", labels: []string{"enhancement", "good first issue"},
		body:  "`hello-world --shout` should print the greeting in capitals.",
		state: "open", created: day(8),
	})
	f.seedIssue(hello, &issue{
		title: "Document the API", author: "mona", labels: []string{"documentation"},
		body:  "Adds docs/api.md.",
		state: "closed", created: day(9), closed: day(10),
		pull: &pull{head: "api-docs", base: "main", merged: day(10)},
	}, "Looks good to me.")
	f.seedIssue(hello, &issue{
		title: "Rewrite the greeter in Rust", author: "hubot",
		body:  "It would be faster.",
		state: "closed", stateReason: "not_planned", created: day(11), closed: day(12),
	}, "It prints one line; Go is fine here.")
	f.seedHelloHistory(hello)
	hello.pushed = day(10)

	spoon := f.mustRepo(Repo{
		Owner:       "mona",
		Name:        "spoon-knife",
		Description: "This repo is for demonstration purposes only: fork it and open a pull request",
		Language:    "HTML",
		Files: map[string]string{
			"README.md":  "# Well hello there!\n\nThis repository is meant to provide an example for *forking* a repository on GitHub.\n",
			"index.html": "<!DOCTYPE html>\n<html>\n<head><link rel=\"stylesheet\" href=\"styles.css\"></head>\n<body><p>Fork me? Fork you, @octocat!</p></body>\n</html>\n",
			"styles.css": "* { margin: 0; padding: 0; }\nbody { font-family: sans-serif; }\n",
		},
	}, day(2))
	spoon.stars, spoon.forks = 12, 30
	spoon.labels = []*label{{id: f.newID(), name: "question", color: "d876e3", description: "Further information is requested"}}
	f.seedIssue(spoon, &issue{
		title: "How do I open a pull request from my fork?", author: "hubot", labels: []string{"question"},
		body:  "I forked the repository and changed index.html. What next?",
		state: "open", created: day(4),
	}, "Push your branch, then use the Compare & pull request button.")
	f.seedIssue(spoon, &issue{
		title: "Make the page friendlier", author: "hubot",
		body:  "Changes the greeting on index.html.",
		state: "open", created: day(7),
		pull: &pull{head: "hubot:friendlier", base: "main", draft: true},
	})
	spoon.change("friendlier", "Make the greeting friendlier", "hubot", day(7), map[string]string{
		"index.html": "<!DOCTYPE html>\n<html>\n<head><link rel=\"stylesheet\" href=\"styles.css\"></head>\n<body><p>Hello there, friend!</p></body>\n</html>\n",
	})
	spoon.issues[1].pull.baseSHA = spoon.headSHA()
	spoon.pushed = day(7)

	secret := f.mustRepo(Repo{
		Owner:       "mona",
		Name:        "secret-plans",
		Description: "Private notes",
		Private:     true,
		Files:       map[string]string{"PLANS.md": "# Plans\n\n- Ship the greeter.\n"},
	}, day(3))
	f.seedIssue(secret, &issue{title: "Pick a launch date", author: "mona", state: "open", created: day(4)})

	f.mustRepo(Repo{
		Owner:       "hubot",
		Name:        "chatops-scripts",
		Description: "Scripts that make Hubot helpful in chat",
		Language:    "JavaScript",
		Topics:      []string{"chatops", "hubot"},
		Files: map[string]string{
			"README.md":         "# chatops-scripts\n\nDrop these into your Hubot's scripts/ directory.\n",
			"scripts/ping.js":   "module.exports = (robot) => {\n  robot.respond(/ping/i, (res) => res.send('PONG'))\n}\n",
			"scripts/deploy.js": "module.exports = (robot) => {\n  robot.respond(/deploy (.*)/i, (res) => res.send(`Deploying ${res.match[1]}`))\n}\n",
		},
	}, day(1))
}

// mustRepo adds a seed repository; the seed data is fixed, so a failure is
// a bug in this file.
func (f *Fake) mustRepo(r Repo, at time.Time) *repo {
	rp, err := f.addRepo(r, at)
	if err != nil {
		panic(err)
	}
	return rp
}

// seedIssue appends an issue (or pull request) with comments a day apart,
// authored alternately by the repository owner and the issue author.
func (f *Fake) seedIssue(r *repo, is *issue, comments ...string) {
	is.id = f.newID()
	is.number = len(r.issues) + 1
	is.updated = is.created
	for i, body := range comments {
		author := r.owner
		if i%2 == 1 {
			author = is.author
		}
		at := is.created.Add(time.Duration(i+1) * 6 * time.Hour)
		is.comments = append(is.comments, &comment{id: f.newID(), author: author, body: body, created: at, updated: at})
		is.updated = at
	}
	if !is.closed.IsZero() && is.closed.After(is.updated) {
		is.updated = is.closed
	}
	r.issues = append(r.issues, is)
}
