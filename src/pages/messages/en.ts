/**
 * Every string the pages show, in English. Pages take text from here only, so
 * another language is one more file of the same shape (`Messages`).
 */
export const en = {
  productName: 'Gatehouse',
  lang: 'en',
  signIn: 'Sign in',
  signInTitle: 'Sign in to Gatehouse',
  signInTo: 'to continue to {app}',
  signUp: 'Create an account',
  signUpTitle: 'Create your Gatehouse account',
  noAccount: 'No account yet?',
  haveAccount: 'Already have an account?',
  login: 'Login',
  password: 'Password',
  passwordHint: 'At least 8 characters',
  email: 'Email (optional)',
  firstName: 'First name (optional)',
  lastName: 'Last name (optional)',
  badCredentials: 'The login or password is incorrect.',
  signupDisabled: 'Sign-up is closed on this server. Ask its operator for an account.',
  signOut: 'Sign out',
  signedOutTitle: 'You are signed out',
  signedOutText: 'You have signed out of Gatehouse on this browser.',
  signedInAs: 'Signed in as {name}',
  notYou: 'Not you?',
  switchAccount: 'Switch account',
  consentTitle: '{app} wants to access your Gatehouse account',
  consentRequired: 'This will allow {app} to:',
  consentOptional: 'You can also allow:',
  consentIdentity: 'Know your login and your Gatehouse account id',
  consentDevice: 'Device: {device}',
  allow: 'Allow',
  deny: 'Deny',
  consentFooter: 'You can revoke this access at any time on your account page.',
  errorTitle: 'Something is wrong with this request',
  errorBack: 'Go back to the app you came from and try again. If this keeps happening, tell its developer:',
  errorCode: 'Error code',
  csrfFailed: 'This form has expired. Please go back, reload the page and try again.',
  notFound: 'There is nothing at this address.',
  homeTitle: 'Your Gatehouse account',
  homeSignedOut: 'Gatehouse is the single sign-in for this organisation’s websites and apps.',
};

export type Messages = typeof en;
export type MessageKey = keyof Messages;

/** Fills `{name}` placeholders. The result is plain text; pages escape it when rendering. */
export function format(template: string, vars: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? `{${name}}`);
}
