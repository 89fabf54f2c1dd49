export interface paths {
    "/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List users
         * @description Oldest first. `search` matches part of the login, a name or an email address (ignoring case), or the whole id.
         *
         *     Scope: `gatehouse:users:read` (or `gatehouse:admin`, or `gatehouse:users:write`).
         */
        get: operations["listUsers"];
        put?: never;
        /**
         * Create a user
         * @description Scope: `gatehouse:users:write` (or `gatehouse:admin`).
         */
        post: operations["createUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a user
         * @description Scope: `gatehouse:users:read` (or `gatehouse:admin`, or `gatehouse:users:write`).
         */
        get: operations["getUser"];
        put?: never;
        post?: never;
        /**
         * Erase a user
         * @description Sessions and tokens end, personal data is deleted; audit entries stay without it. Apps the user owned belong to nobody.
         *
         *     Scope: `gatehouse:users:write` (or `gatehouse:admin`).
         */
        delete: operations["deleteUser"];
        options?: never;
        head?: never;
        /**
         * Change a user
         * @description Roles, blocking, password, main email address, phone number. What is omitted stays.
         *
         *     Scope: `gatehouse:users:write` (or `gatehouse:admin`).
         */
        patch: operations["updateUser"];
        trace?: never;
    };
    "/users/{id}/block": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Block a user
         * @description Signs them out everywhere, revokes every token; they cannot sign in.
         *
         *     Scope: `gatehouse:users:write` (or `gatehouse:admin`).
         */
        post: operations["blockUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users/{id}/unblock": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Unblock a user
         * @description They may sign in again.
         *
         *     Scope: `gatehouse:users:write` (or `gatehouse:admin`).
         */
        post: operations["unblockUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users/{id}/unlock-sign-in": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Lift a sign-in lock
         * @description After too many failed sign-ins in a row.
         *
         *     Scope: `gatehouse:users:write` (or `gatehouse:admin`).
         */
        post: operations["unlockSignInUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users/{id}/reset-second-factors": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reset two-step sign-in
         * @description Deletes the authenticator-app key and recovery codes (a lost phone).
         *
         *     Scope: `gatehouse:users:write` (or `gatehouse:admin`).
         */
        post: operations["resetTwoStepUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users/{id}/reset-password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reset a password
         * @description Sets a new random password, shown once in the answer; signs the user out everywhere and lifts a sign-in lock.
         *
         *     Scope: `gatehouse:users:write` (or `gatehouse:admin`).
         */
        post: operations["resetUserPassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users/{id}/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List a user's live tokens
         * @description Access and refresh tokens neither expired nor revoked, newest first.
         *
         *     Scope: `gatehouse:tokens:read` (or `gatehouse:admin`, or `gatehouse:tokens:write`).
         */
        get: operations["listUserTokens"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users/{id}/tokens/{token_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke a token
         * @description Revokes the token and every token of the same authorization (its refresh token and those it was refreshed into).
         *
         *     Scope: `gatehouse:tokens:write` (or `gatehouse:admin`).
         */
        delete: operations["revokeUserToken"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users/{id}/revoke-all": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign a user out everywhere
         * @description Ends every session and revokes every token and instant-login grant of the user.
         *
         *     Scope: `gatehouse:tokens:write` (or `gatehouse:admin`).
         */
        post: operations["revokeUserAccess"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users/{id}/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List a user's sessions
         * @description Browsers signed in, newest first.
         *
         *     Scope: `gatehouse:tokens:read` (or `gatehouse:admin`, or `gatehouse:tokens:write`).
         */
        get: operations["listUserSessions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users/{id}/sessions/{session_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * End a session
         * @description Scope: `gatehouse:tokens:write` (or `gatehouse:admin`).
         */
        delete: operations["endUserSession"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/apps": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List apps
         * @description Oldest first. `search` matches part of the name (ignoring case) or the whole client_id; `owner_id` only the apps of one developer.
         *
         *     Scope: `gatehouse:apps:read` (or `gatehouse:admin`, or `gatehouse:apps:write`).
         */
        get: operations["listApps"];
        put?: never;
        /**
         * Register an app
         * @description Web apps get a client secret, shown once in the answer.
         *
         *     Scope: `gatehouse:apps:write` (or `gatehouse:admin`).
         */
        post: operations["createApp"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/apps/{client_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get an app
         * @description Scope: `gatehouse:apps:read` (or `gatehouse:admin`, or `gatehouse:apps:write`).
         */
        get: operations["getApp"];
        put?: never;
        post?: never;
        /**
         * Delete an app
         * @description Its tokens, codes and consents end.
         *
         *     Scope: `gatehouse:apps:write` (or `gatehouse:admin`).
         */
        delete: operations["deleteApp"];
        options?: never;
        head?: never;
        /**
         * Change an app
         * @description What is omitted stays. Changing scopes revokes every token issued to the app; becoming a web app creates a secret (in the answer).
         *
         *     Scope: `gatehouse:apps:write` (or `gatehouse:admin`).
         */
        patch: operations["updateApp"];
        trace?: never;
    };
    "/apps/{client_id}/rotate-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rotate the client secret
         * @description The old secret stops working at once.
         *
         *     Scope: `gatehouse:apps:write` (or `gatehouse:admin`).
         */
        post: operations["rotateAppSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/apps/{client_id}/block": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Block an app
         * @description Revokes every token it holds; it gets unauthorized_client everywhere.
         *
         *     Scope: `gatehouse:apps:write` (or `gatehouse:admin`).
         */
        post: operations["blockApp"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/apps/{client_id}/unblock": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Unblock an app
         * @description Lifts any block, the owner's or an operator's.
         *
         *     Scope: `gatehouse:apps:write` (or `gatehouse:admin`).
         */
        post: operations["unblockApp"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users/{id}/consents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List a user's consents
         * @description Scope: `gatehouse:consents:read` (or `gatehouse:admin`, or `gatehouse:consents:write`).
         */
        get: operations["listUserConsents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users/{id}/consents/{client_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke a consent
         * @description The app is asked for consent again next time; its tokens for the user are revoked.
         *
         *     Scope: `gatehouse:consents:write` (or `gatehouse:admin`).
         */
        delete: operations["revokeUserConsent"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List signing keys
         * @description Scope: `gatehouse:keys:read` (or `gatehouse:admin`, or `gatehouse:keys:write`).
         */
        get: operations["listKeys"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/keys/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rotate signing keys
         * @description Publishes a new key per algorithm at once; it signs from 90 s later, when the old one retires.
         *
         *     Scope: `gatehouse:keys:write` (or `gatehouse:admin`).
         */
        post: operations["rotateKeys"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read the audit log
         * @description Newest first; every given filter must match.
         *
         *     Scope: `gatehouse:audit:read` (or `gatehouse:admin`, or `gatehouse:audit:write`).
         */
        get: operations["listAudit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List webhook endpoints
         * @description Scope: `gatehouse:webhooks:read` (or `gatehouse:admin`, or `gatehouse:webhooks:write`).
         */
        get: operations["listWebhooks"];
        put?: never;
        /**
         * Add a webhook endpoint
         * @description The answer holds the signing secret, shown this once.
         *
         *     Scope: `gatehouse:webhooks:write` (or `gatehouse:admin`).
         */
        post: operations["createWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/webhooks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a webhook endpoint
         * @description Scope: `gatehouse:webhooks:read` (or `gatehouse:admin`, or `gatehouse:webhooks:write`).
         */
        get: operations["getWebhook"];
        put?: never;
        post?: never;
        /**
         * Remove a webhook endpoint
         * @description Its pending deliveries are dropped.
         *
         *     Scope: `gatehouse:webhooks:write` (or `gatehouse:admin`).
         */
        delete: operations["deleteWebhook"];
        options?: never;
        head?: never;
        /**
         * Change a webhook endpoint
         * @description What is omitted stays; the secret never changes.
         *
         *     Scope: `gatehouse:webhooks:write` (or `gatehouse:admin`).
         */
        patch: operations["updateWebhook"];
        trace?: never;
    };
    "/webhooks/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List an endpoint's deliveries
         * @description Newest first; `status` keeps one kind.
         *
         *     Scope: `gatehouse:webhooks:read` (or `gatehouse:admin`, or `gatehouse:webhooks:write`).
         */
        get: operations["listWebhookDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/webhooks/deliveries/{delivery_id}/redeliver": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a delivery again
         * @description From a fresh retry schedule, with the same webhook-id (receivers that saw it drop it).
         *
         *     Scope: `gatehouse:webhooks:write` (or `gatehouse:admin`).
         */
        post: operations["redeliverWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description RFC 9457 problem details */
        Problem: {
            /** @description A URI naming the kind of problem; it opens its explanation in the API docs */
            type: string;
            title: string;
            status: number;
            detail?: string;
            /** @description The path of the request */
            instance?: string;
            /** @description For invalid-request: each field that is wrong */
            errors?: {
                /** @description JSON pointer (RFC 6901) into the request: /body/login, /query/limit, /path/id */
                pointer: string;
                detail: string;
            }[];
        };
        User: {
            /** @description 15 decimal digits, as Yandex ID's ids */
            id: string;
            login: string;
            display_name: string | null;
            first_name: string | null;
            last_name: string | null;
            default_email: string | null;
            emails: string[];
            confirmed_emails: string[];
            phone: string | null;
            phone_confirmed: boolean;
            is_developer: boolean;
            /** @description An operator: may use /admin */
            is_admin: boolean;
            /** @enum {string} */
            status: "active" | "blocked";
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
        };
        Platform: {
            /** @enum {string} */
            type: "web" | "spa" | "ios" | "android" | "desktop" | "tv";
            /** @description iOS: team prefix and bundle id */
            app_id?: string;
            /** @description Android package name */
            package_name?: string;
            /** @description Android signing certificate fingerprints */
            sha256_cert_fingerprints?: string[];
            store_url?: string;
        };
        App: {
            client_id: string;
            name: string;
            description: string;
            icon_url: string | null;
            /** @description Has a client secret (web apps) */
            confidential: boolean;
            platforms: components["schemas"]["Platform"][];
            redirect_uris: string[];
            post_logout_redirect_uris: string[];
            suggest_hostnames: string[];
            scopes: string[];
            optional_scopes: string[];
            owner_id: string | null;
            access_token_ttl: number;
            /** @enum {string} */
            id_token_alg: "ES256" | "RS256";
            require_two_step: boolean;
            introspects: string[];
            /** @enum {string} */
            status: "active" | "blocked" | "pending";
            blocked_by: ("operator" | "owner") | null;
            first_party: boolean;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
        };
        AppWithSecret: {
            client_id: string;
            name: string;
            description: string;
            icon_url: string | null;
            /** @description Has a client secret (web apps) */
            confidential: boolean;
            platforms: components["schemas"]["Platform"][];
            redirect_uris: string[];
            post_logout_redirect_uris: string[];
            suggest_hostnames: string[];
            scopes: string[];
            optional_scopes: string[];
            owner_id: string | null;
            access_token_ttl: number;
            /** @enum {string} */
            id_token_alg: "ES256" | "RS256";
            require_two_step: boolean;
            introspects: string[];
            /** @enum {string} */
            status: "active" | "blocked" | "pending";
            blocked_by: ("operator" | "owner") | null;
            first_party: boolean;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
            /** @description Shown once: store it now. Null for public apps, or when the secret did not change */
            client_secret: string | null;
        };
        AppPage: {
            items: components["schemas"]["App"][];
            /** @description Send as cursor for the next page; null when this is the last */
            next_cursor: string | null;
        };
        NewApp: {
            name: string;
            description?: string;
            /** @description Default [{"type":"web"}]; web apps are confidential (they get a secret) */
            platforms?: components["schemas"]["Platform"][];
            redirect_uris?: string[];
            post_logout_redirect_uris?: string[];
            suggest_hostnames?: string[];
            /** @description Scopes granted by default; may include management scopes (gatehouse:…), for client_credentials */
            scopes?: string[];
            optional_scopes?: string[];
            /** @description The developer who owns the app; null for none */
            owner_id?: string | null;
            /** @description Access-token lifetime in seconds */
            access_token_ttl?: number;
            /** @enum {string} */
            id_token_alg?: "ES256" | "RS256";
            require_two_step?: boolean;
            /** @description The provider's own app: listed in the issuer host's app-link files */
            first_party?: boolean;
            /** @description client_ids whose tokens this app may introspect */
            introspects?: string[];
        };
        AppChange: {
            name?: string;
            description?: string;
            /** @description Default [{"type":"web"}]; web apps are confidential (they get a secret) */
            platforms?: components["schemas"]["Platform"][];
            redirect_uris?: string[];
            post_logout_redirect_uris?: string[];
            suggest_hostnames?: string[];
            /** @description Scopes granted by default; may include management scopes (gatehouse:…), for client_credentials */
            scopes?: string[];
            optional_scopes?: string[];
            /** @description The developer who owns the app; null for none */
            owner_id?: string | null;
            /** @description Access-token lifetime in seconds */
            access_token_ttl?: number;
            /** @enum {string} */
            id_token_alg?: "ES256" | "RS256";
            require_two_step?: boolean;
            /** @description The provider's own app: listed in the issuer host's app-link files */
            first_party?: boolean;
            /** @description client_ids whose tokens this app may introspect */
            introspects?: string[];
        };
        ClientSecret: {
            client_id: string;
            /** @description Shown once */
            client_secret: string;
        };
        AuditEntry: {
            id: string;
            /** Format: date-time */
            at: string;
            action: string;
            /** @enum {string} */
            outcome: "ok" | "failed" | "refused";
            actor: {
                /** @enum {string} */
                type: "user" | "app" | "operator" | "anonymous";
                id: string | null;
            };
            user_id: string | null;
            client_id: string | null;
            ip: string | null;
            details: {
                [key: string]: string | number | boolean | null | string[];
            };
            /** @description For one entry standing for several identical failures: how many */
            count?: number;
            /** Format: date-time */
            last_at?: string;
        };
        AuditPage: {
            items: components["schemas"]["AuditEntry"][];
            /** @description Send as cursor for the next page; null when this is the last */
            next_cursor: string | null;
        };
        Consent: {
            client_id: string;
            scopes: string[];
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
        };
        ConsentList: {
            items: components["schemas"]["Consent"][];
        };
        SigningKey: {
            kid: string;
            alg: string;
            /**
             * @description next: published, signs from activates_at
             * @enum {string}
             */
            state: "signing" | "next" | "retired";
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            activates_at: string;
            retired_at: string | null;
        };
        SigningKeyList: {
            items: components["schemas"]["SigningKey"][];
        };
        UserPage: {
            items: components["schemas"]["User"][];
            /** @description Send as cursor for the next page; null when this is the last */
            next_cursor: string | null;
        };
        NewUser: {
            login: string;
            /** @description Omitted: the account has no password until one is set (reset-password) or it signs in through another identity provider */
            password?: string;
            /** @description Counts as confirmed (the operator vouches for it) unless confirm_email_by_mail */
            email?: string;
            first_name?: string;
            last_name?: string;
            is_developer?: boolean;
            is_admin?: boolean;
            /** @description Mail a confirmation link instead of vouching for the address */
            confirm_email_by_mail?: boolean;
            /**
             * @description Language of a confirmation mail (default en)
             * @enum {string}
             */
            language?: "en" | "ru";
        };
        UserChange: {
            is_admin?: boolean;
            is_developer?: boolean;
            /** @description Blocking signs the user out everywhere and revokes every token */
            blocked?: boolean;
            /** @description A new password: signs the user out everywhere */
            password?: string;
            /** @description Main address, added to the user's addresses if new */
            email?: string;
            /** @description International form: +44 20 7946 0958 */
            phone?: string;
            phone_confirmed?: boolean;
            confirm_email_by_mail?: boolean;
            /**
             * @description Language of a confirmation mail (default en)
             * @enum {string}
             */
            language?: "en" | "ru";
        };
        DeletedUser: {
            id: string;
            login: string;
            /** @description Names of the apps the user owned: they now belong to nobody */
            apps_without_owner: string[];
        };
        NewPassword: {
            user: components["schemas"]["User"];
            /** @description Shown once: hand it to the user */
            password: string;
        };
        Token: {
            /** @description A handle of the token, not the token */
            id: string;
            /** @enum {string} */
            type: "access" | "refresh";
            client_id: string;
            scopes: string[];
            device_id: string | null;
            device_name: string | null;
            debug: boolean;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            expires_at: string;
        };
        Session: {
            /** @description A handle of the session, not its cookie */
            id: string;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            last_seen_at: string;
            /** Format: date-time */
            expires_at: string;
            /** Format: date-time */
            auth_time: string;
            amr: string[];
            user_agent: string | null;
            ip: string | null;
        };
        TokenList: {
            items: components["schemas"]["Token"][];
        };
        SessionList: {
            items: components["schemas"]["Session"][];
        };
        WebhookEndpoint: {
            id: string;
            url: string;
            description: string;
            events: ("user.created" | "user.updated" | "user.blocked" | "user.deleted" | "user.signed_in" | "sign_in.failed" | "app.created" | "app.updated" | "app.deleted" | "consent.granted" | "consent.revoked" | "token.revoked" | "key.rotated")[];
            enabled: boolean;
            /** @description Why Gatehouse disabled it (a day of failed deliveries), or null */
            disabled_reason: string | null;
            disabled_at: string | null;
            last_success_at: string | null;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
        };
        WebhookEndpointWithSecret: {
            id: string;
            url: string;
            description: string;
            events: ("user.created" | "user.updated" | "user.blocked" | "user.deleted" | "user.signed_in" | "sign_in.failed" | "app.created" | "app.updated" | "app.deleted" | "consent.granted" | "consent.revoked" | "token.revoked" | "key.rotated")[];
            enabled: boolean;
            /** @description Why Gatehouse disabled it (a day of failed deliveries), or null */
            disabled_reason: string | null;
            disabled_at: string | null;
            last_success_at: string | null;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
            /** @description The signing secret (whsec_…), shown once: verify deliveries with it (Standard Webhooks) */
            secret: string;
        };
        WebhookDelivery: {
            id: string;
            /** @description The webhook-id header of every attempt (receivers drop what they have seen) */
            event_id: string;
            endpoint_id: string;
            /**
             * @description What happened: `user.created` an account was created (sign-up, operator, API); `user.updated` an account was changed (an address confirmed too), or unblocked; `user.blocked` an operator blocked an account; `user.deleted` an account was erased; `user.signed_in` someone signed in (each step: password, passkey, second factor, upstream); `sign_in.failed` a sign-in step failed or was refused; `app.created` an app was registered; `app.updated` an app was changed, blocked or unblocked, or its secret rotated; `app.deleted` an app was deleted; `consent.granted` a user allowed an app access; `consent.revoked` a user took an app's access away on /account; `token.revoked` tokens were revoked (by an app, a user, an operator); `key.rotated` the signing keys were rotated
             * @enum {string}
             */
            type: "user.created" | "user.updated" | "user.blocked" | "user.deleted" | "user.signed_in" | "sign_in.failed" | "app.created" | "app.updated" | "app.deleted" | "consent.granted" | "consent.revoked" | "token.revoked" | "key.rotated";
            /** @enum {string} */
            status: "pending" | "delivered" | "failed";
            attempts: number;
            next_attempt_at: string | null;
            last_attempt_at: string | null;
            /** @description The HTTP status of the last attempt, or null when it got no answer */
            response_status: number | null;
            last_error: string | null;
            /** Format: date-time */
            created_at: string;
            delivered_at: string | null;
        };
        WebhookEndpointList: {
            items: components["schemas"]["WebhookEndpoint"][];
        };
        WebhookDeliveryPage: {
            items: components["schemas"]["WebhookDelivery"][];
            /** @description Send as cursor for the next page; null when this is the last */
            next_cursor: string | null;
        };
        NewWebhookEndpoint: {
            /** @description http(s); loopback and private addresses only with GATEHOUSE_WEBHOOK_ALLOW_PRIVATE */
            url: string;
            events: ("user.created" | "user.updated" | "user.blocked" | "user.deleted" | "user.signed_in" | "sign_in.failed" | "app.created" | "app.updated" | "app.deleted" | "consent.granted" | "consent.revoked" | "token.revoked" | "key.rotated")[];
            description?: string;
        };
        WebhookEndpointChange: {
            url?: string;
            events?: ("user.created" | "user.updated" | "user.blocked" | "user.deleted" | "user.signed_in" | "sign_in.failed" | "app.created" | "app.updated" | "app.deleted" | "consent.granted" | "consent.revoked" | "token.revoked" | "key.rotated")[];
            /** @description false stops deliveries (they wait); true sends what is pending again */
            enabled?: boolean;
            description?: string;
        };
    };
    responses: {
        /** @description Authentication required: No access token, or one that is unknown, expired or revoked. Get one with client_credentials. */
        unauthorized: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Not allowed: The token does not hold the management scope the endpoint needs, or it is a user's token: only an app's own token (client_credentials) with a gatehouse: scope may call the API. */
        forbidden: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Not found: No such endpoint, or no such user, app, token, session, consent or key. */
        "not-found": {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Invalid request: The request does not match the endpoint's schema: `errors` lists each field (a JSON pointer) and what is wrong with it. Also a malformed cursor or JSON body. */
        "invalid-request": {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Unsupported media type: Bodies are JSON: send Content-Type: application/json. */
        "unsupported-media-type": {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Payload too large: The body is larger than 64 KiB. */
        "payload-too-large": {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Input refused: The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which. */
        "invalid-input": {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Idempotency key reused: The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body). */
        "idempotency-key-reused": {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Request in progress: A request with this Idempotency-Key is still being answered: retry a little later. */
        "idempotency-key-in-use": {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Too many requests: The calling app made more requests than its limit allows in the current window: retry after Retry-After seconds. */
        "too-many-requests": {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Service unavailable: The database cannot be reached: retry after Retry-After seconds. */
        unavailable: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Internal error: Something failed on the server; it is logged. */
        "server-error": {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
    };
    parameters: {
        /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
        IdempotencyKey: string;
    };
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listUsers: {
        parameters: {
            query?: {
                search?: string;
                /** @description At most this many items (1–200, default 50) */
                limit?: number;
                /** @description The next_cursor of the previous page */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of users */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserPage"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            429: components["responses"]["too-many-requests"];
        };
    };
    createUser: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NewUser"];
            };
        };
        responses: {
            /** @description The new user */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            /** @description Idempotency key reused (idempotency-key-reused): The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body). Or: Input refused (invalid-input): The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["too-many-requests"];
        };
    };
    getUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            429: components["responses"]["too-many-requests"];
        };
    };
    deleteUser: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The user's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What was erased */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeletedUser"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            422: components["responses"]["idempotency-key-reused"];
            429: components["responses"]["too-many-requests"];
        };
    };
    updateUser: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The user's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserChange"];
            };
        };
        responses: {
            /** @description The user as changed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            /** @description Idempotency key reused (idempotency-key-reused): The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body). Or: Input refused (invalid-input): The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["too-many-requests"];
        };
    };
    blockUser: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The user's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user afterwards */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            /** @description Idempotency key reused (idempotency-key-reused): The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body). Or: Input refused (invalid-input): The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["too-many-requests"];
        };
    };
    unblockUser: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The user's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user afterwards */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            /** @description Idempotency key reused (idempotency-key-reused): The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body). Or: Input refused (invalid-input): The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["too-many-requests"];
        };
    };
    unlockSignInUser: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The user's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user afterwards */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            /** @description Idempotency key reused (idempotency-key-reused): The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body). Or: Input refused (invalid-input): The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["too-many-requests"];
        };
    };
    resetTwoStepUser: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The user's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user afterwards */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            /** @description Idempotency key reused (idempotency-key-reused): The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body). Or: Input refused (invalid-input): The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["too-many-requests"];
        };
    };
    resetUserPassword: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The user's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The new password */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NewPassword"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            422: components["responses"]["idempotency-key-reused"];
            429: components["responses"]["too-many-requests"];
        };
    };
    listUserTokens: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tokens */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenList"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            429: components["responses"]["too-many-requests"];
        };
    };
    revokeUserToken: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The user's id */
                id: string;
                token_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            422: components["responses"]["idempotency-key-reused"];
            429: components["responses"]["too-many-requests"];
        };
    };
    revokeUserAccess: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The user's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            422: components["responses"]["idempotency-key-reused"];
            429: components["responses"]["too-many-requests"];
        };
    };
    listUserSessions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The sessions */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionList"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            429: components["responses"]["too-many-requests"];
        };
    };
    endUserSession: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The user's id */
                id: string;
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ended */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            422: components["responses"]["idempotency-key-reused"];
            429: components["responses"]["too-many-requests"];
        };
    };
    listApps: {
        parameters: {
            query?: {
                search?: string;
                owner_id?: string;
                /** @description At most this many items (1–200, default 50) */
                limit?: number;
                /** @description The next_cursor of the previous page */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of apps */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AppPage"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            429: components["responses"]["too-many-requests"];
        };
    };
    createApp: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NewApp"];
            };
        };
        responses: {
            /** @description The new app, with its secret */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AppWithSecret"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            /** @description Idempotency key reused (idempotency-key-reused): The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body). Or: Input refused (invalid-input): The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["too-many-requests"];
        };
    };
    getApp: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The app's client_id */
                client_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The app */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["App"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            429: components["responses"]["too-many-requests"];
        };
    };
    deleteApp: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The app's client_id */
                client_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            /** @description Idempotency key reused (idempotency-key-reused): The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body). Or: Input refused (invalid-input): The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["too-many-requests"];
        };
    };
    updateApp: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The app's client_id */
                client_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AppChange"];
            };
        };
        responses: {
            /** @description The app as changed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AppWithSecret"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            /** @description Idempotency key reused (idempotency-key-reused): The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body). Or: Input refused (invalid-input): The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["too-many-requests"];
        };
    };
    rotateAppSecret: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The app's client_id */
                client_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The new secret */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ClientSecret"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            /** @description Idempotency key reused (idempotency-key-reused): The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body). Or: Input refused (invalid-input): The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["too-many-requests"];
        };
    };
    blockApp: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The app's client_id */
                client_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The app afterwards */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["App"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            /** @description Idempotency key reused (idempotency-key-reused): The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body). Or: Input refused (invalid-input): The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["too-many-requests"];
        };
    };
    unblockApp: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The app's client_id */
                client_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The app afterwards */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["App"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            /** @description Idempotency key reused (idempotency-key-reused): The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body). Or: Input refused (invalid-input): The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["too-many-requests"];
        };
    };
    listUserConsents: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The consents */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConsentList"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            429: components["responses"]["too-many-requests"];
        };
    };
    revokeUserConsent: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The user's id */
                id: string;
                client_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            422: components["responses"]["idempotency-key-reused"];
            429: components["responses"]["too-many-requests"];
        };
    };
    listKeys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The keys */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SigningKeyList"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            429: components["responses"]["too-many-requests"];
        };
    };
    rotateKeys: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The new keys */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SigningKeyList"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            422: components["responses"]["idempotency-key-reused"];
            429: components["responses"]["too-many-requests"];
        };
    };
    listAudit: {
        parameters: {
            query?: {
                /** @description Entries about this user */
                user_id?: string;
                /** @description Entries about this app */
                client_id?: string;
                /** @description sign_in, consent, token_issued, user_created, api_request, … */
                action?: string;
                /** @description At most this many items (1–200, default 50) */
                limit?: number;
                /** @description The next_cursor of the previous page */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of entries */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditPage"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            429: components["responses"]["too-many-requests"];
        };
    };
    listWebhooks: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every endpoint, never its secret */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpointList"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            429: components["responses"]["too-many-requests"];
        };
    };
    createWebhook: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NewWebhookEndpoint"];
            };
        };
        responses: {
            /** @description The new endpoint, with its secret */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpointWithSecret"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            /** @description Idempotency key reused (idempotency-key-reused): The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body). Or: Input refused (invalid-input): The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["too-many-requests"];
        };
    };
    getWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The endpoint's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The endpoint */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpoint"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            429: components["responses"]["too-many-requests"];
        };
    };
    deleteWebhook: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The endpoint's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            422: components["responses"]["idempotency-key-reused"];
            429: components["responses"]["too-many-requests"];
        };
    };
    updateWebhook: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The endpoint's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookEndpointChange"];
            };
        };
        responses: {
            /** @description The endpoint as changed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpoint"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            /** @description Idempotency key reused (idempotency-key-reused): The Idempotency-Key was used in the last 24 hours by this app for a different request (method, path or body). Or: Input refused (invalid-input): The request is well formed but breaks a rule (a login already taken, an unknown scope, an app without a secret asked to rotate it): `detail` says which. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["too-many-requests"];
        };
    };
    listWebhookDeliveries: {
        parameters: {
            query?: {
                status?: "pending" | "delivered" | "failed";
                /** @description At most this many items (1–200, default 50) */
                limit?: number;
                /** @description The next_cursor of the previous page */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description The endpoint's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of deliveries */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDeliveryPage"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            429: components["responses"]["too-many-requests"];
        };
    };
    redeliverWebhook: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique text (a UUID) of 1–255 printable characters. The same key with the same request within 24 hours gets the first answer again, and the write is done once; with another request, 422. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                /** @description The delivery's id */
                delivery_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The delivery, pending again */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDelivery"];
                };
            };
            400: components["responses"]["invalid-request"];
            401: components["responses"]["unauthorized"];
            403: components["responses"]["forbidden"];
            404: components["responses"]["not-found"];
            409: components["responses"]["idempotency-key-in-use"];
            415: components["responses"]["unsupported-media-type"];
            422: components["responses"]["idempotency-key-reused"];
            429: components["responses"]["too-many-requests"];
        };
    };
}
