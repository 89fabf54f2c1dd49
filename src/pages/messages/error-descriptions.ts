/**
 * The OAuth error descriptions a browser can meet on the error page (an
 * authorization request that cannot be answered by redirect, a sign-out
 * request, a request the server cannot read), in each language but English,
 * where they are written. A test reads the sources for every such description
 * and fails when one has no words here (test/pages/finished-pages.test.ts).
 */
export const ERROR_DESCRIPTIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  ru: {
    // The authorization request (src/oauth/authorize/request.ts): what is shown instead of a redirect.
    'client_id is required': 'В запросе нет идентификатора приложения (client_id).',
    'there is no app with this client_id': 'Приложения с таким идентификатором (client_id) нет.',
    'this is a TV app: it signs in with the device flow (POST /device/code and the /device page), not /authorize':
      'Это приложение для телевизора: оно входит по коду на странице устройства, а не через эту страницу.',
    'this app has no redirect URI registered': 'У приложения нет зарегистрированного адреса возврата.',
    'redirect_uri is required: this app has several registered': 'В запросе нет адреса возврата, а у приложения их несколько.',
    'redirect_uri is not registered for this app': 'Этот адрес возврата не зарегистрирован для приложения.',
    'a parameter was sent more than once': 'Один из параметров передан несколько раз.',
    // Signing out at an app's request (src/http/routes/logout.ts).
    'id_token_hint is not an id_token issued by this server': 'Приложение передало токен входа, выданный не этим сервером.',
    'client_id does not match the id_token_hint': 'Идентификатор приложения не совпадает с токеном входа.',
    'post_logout_redirect_uri needs id_token_hint or client_id': 'Адрес возврата после выхода передан без указания приложения.',
    'post_logout_redirect_uri is not registered for this app': 'Этот адрес возврата после выхода не зарегистрирован для приложения.',
    // Requests the server could not read (src/http/server.ts).
    'the request body is too large': 'Запрос слишком велик.',
    'the request is malformed': 'Запрос составлен неверно.',
    'unsupported content type: send application/x-www-form-urlencoded': 'Сервер принимает только данные обычной веб-формы.',
  },
};
