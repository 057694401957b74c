import { useEffect, useState } from 'react';
import { SignIn } from '../auth/SignIn';
import { onTokenChange, readToken, type SignOutReason } from '../auth/token-store';
import { ViewerProvider } from '../auth/viewer';
import { Layout } from './Layout';
import { Pages } from './Pages';

/** Signed in (a token in this tab) or the sign-in form; a refused token lands here with a message. */
export function App() {
  const [token, setToken] = useState(readToken);
  const [reason, setReason] = useState<SignOutReason | undefined>();
  useEffect(
    () =>
      onTokenChange((why) => {
        setToken(readToken());
        setReason(why);
      }),
    [],
  );
  if (!token) return <SignIn reason={reason} />;
  return (
    <ViewerProvider key={token}>
      <Layout>
        <Pages />
      </Layout>
    </ViewerProvider>
  );
}
