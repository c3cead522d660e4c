import { apiResponse, type Query } from './client';
import { filenameFromContentDisposition } from './content-disposition';

/**
 * Downloads a generated file through the API (the session travels in a header, never in the
 * URL) and saves it under the name the server gives in `Content-Disposition`. Returns that name.
 */
export async function downloadFile(path: string, query: Query, fallbackName: string) {
  const response = await apiResponse(path, { query });
  const name =
    filenameFromContentDisposition(response.headers.get('content-disposition')) ?? fallbackName;
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the file by the next tick; the object URL only holds memory.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}
